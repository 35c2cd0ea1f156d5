"""An upload the media storage could not write answers the editor, never with a 500."""

from __future__ import annotations

import logging
import os

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect

from core.storage import MediaWriteError

logger = logging.getLogger(__name__)

NOT_STORED = (
    "{name} could not be stored, so nothing was saved: the media storage said “{reason}”. "
    "Try again once an operator has fixed it."
)
# Wagtail's drag-and-drop upload views: their page's script reads a JSON answer per file.
MULTIPLE_UPLOAD_VIEWS = {"wagtailimages:add_multiple", "wagtaildocs:add_multiple"}


class MediaWriteErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, MediaWriteError):
            return None
        # Operators must hear of a full or read-only media disk; editors get a plain answer.
        logger.error("Upload not stored: %s", exception)
        text = NOT_STORED.format(
            name=os.path.basename(exception.filename or "The file"), reason=exception.strerror
        )
        match = request.resolver_match
        if match and match.view_name in MULTIPLE_UPLOAD_VIEWS:
            return JsonResponse({"success": False, "error_message": text})
        messages.error(request, text)
        return redirect(request.get_full_path())

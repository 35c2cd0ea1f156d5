"""Media files (the CMS's images and documents) on the local disk, never half-written."""

from __future__ import annotations

import contextlib
import os

from django.core.files.storage import FileSystemStorage


class MediaWriteError(OSError):
    """The media storage could not store a file (disk full, a read-only, missing or unusable
    directory); nothing of it was kept."""


class MediaStorage(FileSystemStorage):
    """Django's FileSystemStorage, except that a write the operating system refuses part-way
    (ENOSPC, EFBIG, EROFS, ENOTDIR, …) takes away what it wrote and raises MediaWriteError, so
    no truncated file is left for a page to serve or a later upload to be named around."""

    def _save(self, name, content):
        # Only a file this write began may be removed: never one that was there before it.
        existed = self.exists(name)
        try:
            return super()._save(name, content)
        except OSError as exc:
            if not existed:
                with contextlib.suppress(OSError):
                    os.remove(self.path(name))
            raise MediaWriteError(exc.errno, exc.strerror or str(exc), name) from exc

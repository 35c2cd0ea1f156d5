"""Answers for requests no view takes: in the form the caller reads."""

from django.http import Http404

from .api import json_error

API_PREFIX = "/api/"
# What the API says for the answers Django gives before or instead of one of its views.
API_ERRORS = {
    404: ("not_found", "No such resource."),
    405: ("method_not_allowed", "This resource does not take that method."),
}


class NotFoundMiddleware:
    """A path holding NUL (sent as %00) names nothing here, and PostgreSQL refuses NUL in any
    text parameter: it is answered 404 before a view hands the path part to a query. Under
    /api/ Django's own 404 and 405 pages become JSON errors with a stable code, like the
    API's other errors (a 405 keeps its Allow header)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path.startswith(API_PREFIX)
        if "\x00" in request.path:
            if api:
                return json_error(*API_ERRORS[404], status=404)
            raise Http404("No such page.")
        response = self.get_response(request)
        if api and response.status_code in API_ERRORS and not _is_json(response):
            answer = json_error(*API_ERRORS[response.status_code], status=response.status_code)
            if response.has_header("Allow"):
                answer["Allow"] = response["Allow"]
            return answer
        return response


def _is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")

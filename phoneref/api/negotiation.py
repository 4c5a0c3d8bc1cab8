"""DRF's content negotiation, skipped for the requests that leave it nothing to choose.

DRF parses every Accept header into media types and ranks them against each renderer, a
cost docs/benchmarks.md measures on every API request. Nearly every client sends no Accept, `*/*` or
`application/json`; for those the first renderer is DRF's answer too, with its own media
type, so it is returned straight away. Anything else gets DRF's full negotiation.
"""

from rest_framework.negotiation import DefaultContentNegotiation


class JsonFirstNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT")
        # A query string may carry DRF's `?format=` override: leave it to DRF.
        if renderers and not format_suffix and not request.META.get("QUERY_STRING"):
            first = renderers[0]
            if accept in (None, "*/*", first.media_type):
                return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)

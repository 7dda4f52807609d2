import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handoff.settings")
application = get_wsgi_application()

# Import every view now (through the URL configuration) rather than on a worker's
# first request, then leave everything loaded so far out of the garbage
# collector's sweeps: a full collection otherwise walks every module's objects
# again, and the requests it lands on are the slowest of a page's runs.
get_resolver().url_patterns  # noqa: B018
gc.freeze()

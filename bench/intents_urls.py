"""The real URLconf plus one bare DRF view: the ceiling for one durable write per request."""

from django.db import connection, transaction
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as real_urlpatterns


class BaselineInsertView(APIView):
    authentication_classes = ()
    permission_classes = ()

    def post(self, request):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_baseline (payload, created_at) VALUES (%s, now())", ["x"])
        return Response({"ok": True})


urlpatterns = [path("v1/_bench/baseline", BaselineInsertView.as_view()), *real_urlpatterns]

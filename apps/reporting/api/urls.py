from django.urls import path

from . import views

urlpatterns = [
    path("reporting/metrics", views.MetricsView.as_view(), name="reporting-metrics"),
    path("reporting/report_types", views.ReportTypeListView.as_view(), name="reporting-report-types"),
    path(
        "reporting/report_types/<str:report_type>",
        views.ReportTypeDetailView.as_view(),
        name="reporting-report-type",
    ),
    path("reporting/report_runs", views.ReportRunListView.as_view(), name="reporting-report-runs"),
    path(
        "reporting/report_runs/<str:report_run_id>",
        views.ReportRunDetailView.as_view(),
        name="reporting-report-run",
    ),
    path(
        "reporting/report_runs/<str:report_run_id>/file",
        views.ReportRunFileView.as_view(),
        name="reporting-report-run-file",
    ),
    path(
        "reporting/report_schedules",
        views.ReportScheduleListView.as_view(),
        name="reporting-report-schedules",
    ),
    path(
        "reporting/report_schedules/<str:schedule_id>",
        views.ReportScheduleDetailView.as_view(),
        name="reporting-report-schedule",
    ),
    path("reporting/settlement/<str:day>", views.SettlementReportView.as_view(), name="reporting-settlement"),
]

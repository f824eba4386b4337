from django.urls import path

from . import views

urlpatterns = [
    path("files", views.FileListView.as_view(), name="files"),
    path("files/<str:file_id>", views.FileDetailView.as_view(), name="file"),
    path("files/<str:file_id>/contents", views.FileContentsView.as_view(), name="file-contents"),
    path("file_links", views.FileLinkListView.as_view(), name="file-links"),
    path("file_links/<str:link_id>", views.FileLinkDetailView.as_view(), name="file-link"),
    path("file_downloads/<str:token>", views.file_download, name="file-download"),
]

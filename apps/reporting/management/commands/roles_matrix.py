from django.core.management.base import BaseCommand

from apps.core.roles import roles_matrix_markdown


class Command(BaseCommand):
    help = "Print the roles matrix (Markdown) that the README's 'Back office and roles' section shows."

    def handle(self, *args, **options):
        self.stdout.write(roles_matrix_markdown(), ending="")

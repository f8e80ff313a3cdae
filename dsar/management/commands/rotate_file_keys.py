"""Re-encrypt every private file with the newest key in FILE_ENCRYPTION_KEYS.

Rotation: put the new key first (FILE_ENCRYPTION_KEYS=new,old), restart, run this command, then
remove the old key. Files already under the newest key are left alone, so it is safe to re-run.
"""

from django.core.management.base import BaseCommand, CommandError

from dsar import uploads
from dsar.models import Attachment


class Command(BaseCommand):
    help = "Re-encrypt identity documents and other private files with the newest FILE_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        rotated = unchanged = 0
        failed = []
        files = Attachment.objects.filter(encrypted=True, deleted_at__isnull=True).exclude(file="")
        for attachment in files.iterator():
            try:
                changed = uploads.rotate(attachment)
            except Exception as exc:  # noqa: BLE001 - report every unreadable file, then fail
                failed.append(f"{attachment.pk}: {type(exc).__name__}")
                continue
            rotated += changed
            unchanged += not changed
        self.stdout.write(f"Rotated {rotated} file(s); {unchanged} already under the newest key.")
        if failed:
            raise CommandError(
                f"{len(failed)} file(s) could not be re-encrypted (is their key still in FILE_ENCRYPTION_KEYS?): "
                + ", ".join(failed)
            )

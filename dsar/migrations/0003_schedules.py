from django.db import migrations


def install_schedules(apps, schema_editor):
    from dsar.schedules import install

    install(apps.get_model("django_q", "Schedule"))


def remove_schedules(apps, schema_editor):
    from dsar.schedules import SCHEDULES

    apps.get_model("django_q", "Schedule").objects.filter(name__in=[row[0] for row in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dsar", "0002_notice_claims_email_backoff"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(install_schedules, remove_schedules)]

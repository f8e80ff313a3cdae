"""Creates the jurisdiction rule-set presets (tenants/presets.py); staff may edit them afterwards."""

from django.db import migrations


def create_presets(apps, schema_editor):
    from tenants.presets import PRESETS

    RuleSet = apps.get_model("tenants", "RuleSet")
    fields = {f.name for f in RuleSet._meta.get_fields()}
    for preset in PRESETS:
        values = {k: v for k, v in preset.items() if k in fields and k != "code"}
        RuleSet.objects.update_or_create(code=preset["code"], defaults=values)


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]
    operations = [migrations.RunPython(create_presets, migrations.RunPython.noop)]

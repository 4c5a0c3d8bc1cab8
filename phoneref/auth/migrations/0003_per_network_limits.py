from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("phoneauth", "0002_staff_login_throttle"),
    ]

    operations = [
        # Failed checks are now kept by client network; the old per-phone log has no network
        # to file its entries under, and its window is a day at most.
        migrations.RemoveField(model_name="phonelogin", name="failure_log"),
        migrations.AddField(
            model_name="phonelogin",
            name="failures_by_network",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
        # The per-client rows are keyed by network now; their logs last an hour at most.
        migrations.DeleteModel(name="ClientAddress"),
        migrations.CreateModel(
            name="ClientAddress",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("network", models.CharField(max_length=50, unique=True)),
                ("send_log", models.JSONField(blank=True, default=list)),
                ("failure_log", models.JSONField(blank=True, default=list)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
    ]

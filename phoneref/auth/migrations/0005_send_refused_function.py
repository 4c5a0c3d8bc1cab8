from django.db import migrations

# Raised by the code request's statement (phoneref.auth.services) to undo the phone's write
# when the client's row, once locked, refuses the send. SQL has no RAISE of its own.
CREATE = """
CREATE FUNCTION phoneref_send_refused() RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the client reached its send limit meanwhile' USING ERRCODE = 'PR429';
END
$$
"""
DROP = "DROP FUNCTION phoneref_send_refused()"


class Migration(migrations.Migration):

    dependencies = [
        ("phoneauth", "0004_phonelogin_replaced_code"),
    ]

    operations = [
        migrations.RunSQL(CREATE, DROP),
    ]

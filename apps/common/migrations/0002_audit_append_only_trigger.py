from django.db import migrations

# The ORM already refuses updates and deletes; the trigger makes raw SQL refuse them too.
# TRUNCATE stays possible for the table owner: the test suite's flush between transactional
# tests needs it, and an owner who can truncate can also drop the trigger.
SQL = """
CREATE OR REPLACE FUNCTION common_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'common_auditevent is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER common_auditevent_no_update_delete
    BEFORE UPDATE OR DELETE ON common_auditevent
    FOR EACH ROW EXECUTE FUNCTION common_auditevent_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS common_auditevent_no_update_delete ON common_auditevent;
DROP FUNCTION IF EXISTS common_auditevent_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("common", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE)]

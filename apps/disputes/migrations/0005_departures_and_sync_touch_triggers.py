"""Lossless incremental sync (issue #15), enforced where every write path passes: PostgreSQL.

1. Touch: a dispute row embeds its parties (id, name, kind, role), its lead mediator (name, e-mail)
   and, in detail, its issues. A change to any of them gives the dispute a new ``updated_at`` (and so
   a new ETag), whichever code path made it: services, ``import_dispute``, the admin, a bulk UPDATE,
   a data migration. A party's rename also touches its case parties, positions and sessions (they
   embed its name).
2. Departures: a case party, provision or signatory deleted, a note narrowed to team-only, a dispute
   deleted or restricted, a share revoked, a member leaving a restricted dispute's team: one ``disputes_departure`` row, which the
   API's change feed turns into "this id left your view" (never why).

Triggers rather than service code: the services are not the only writers (imports, admin, bulk
loads, future code), and a forgotten touch silently loses a partner's data; the trigger cannot be
forgotten. ``clock_timestamp()``, not ``now()``: a touch late in a long transaction is stamped when it
happens (both are after the transaction's start, which is what the sync watermark relies on).
"""

from django.db import migrations, models

TRIGGERS = r'''
CREATE OR REPLACE FUNCTION peacecase_touch_disputes(ids bigint[]) RETURNS void AS $$
BEGIN
    UPDATE disputes_dispute SET updated_at = clock_timestamp() WHERE id = ANY(ids);
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION peacecase_caseparty_sync() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.role IS NOT DISTINCT FROM OLD.role AND NEW.party_id = OLD.party_id
           AND NEW.dispute_id = OLD.dispute_id THEN
            RETURN NULL;
        END IF;
        PERFORM peacecase_touch_disputes(ARRAY[OLD.dispute_id, NEW.dispute_id]);
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM peacecase_touch_disputes(ARRAY[NEW.dispute_id]);
    ELSE
        PERFORM peacecase_touch_disputes(ARRAY[OLD.dispute_id]);
        INSERT INTO disputes_departure (resource, object_id, dispute_id, organisation_id, restricted, left_at)
        VALUES ('case-party', OLD.id, OLD.dispute_id, NULL, false, clock_timestamp());
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER caseparty_sync AFTER INSERT OR UPDATE OR DELETE ON disputes_caseparty
    FOR EACH ROW EXECUTE FUNCTION peacecase_caseparty_sync();

CREATE OR REPLACE FUNCTION peacecase_party_sync() RETURNS trigger AS $$
BEGIN
    PERFORM peacecase_touch_disputes(ARRAY(SELECT dispute_id FROM disputes_caseparty WHERE party_id = NEW.id));
    UPDATE disputes_caseparty SET updated_at = clock_timestamp() WHERE party_id = NEW.id;
    UPDATE disputes_partyposition SET updated_at = clock_timestamp()
        WHERE case_party_id IN (SELECT id FROM disputes_caseparty WHERE party_id = NEW.id);
    UPDATE mediation_sessions_mediationsession SET updated_at = clock_timestamp()
        WHERE id IN (SELECT sp.session_id FROM mediation_sessions_sessionparty sp
                     JOIN disputes_caseparty cp ON cp.id = sp.case_party_id WHERE cp.party_id = NEW.id);
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER party_sync AFTER UPDATE OF name, kind ON parties_party
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.kind IS DISTINCT FROM NEW.kind)
    EXECUTE FUNCTION peacecase_party_sync();

CREATE OR REPLACE FUNCTION peacecase_team_sync() RETURNS trigger AS $$
DECLARE
    row_ disputes_caseteammember;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.role = OLD.role AND NEW.active = OLD.active AND NEW.user_id = OLD.user_id
       AND NEW.dispute_id = OLD.dispute_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN row_ := OLD; ELSE row_ := NEW; END IF;
    PERFORM peacecase_touch_disputes(ARRAY[row_.dispute_id]);
    -- Leaving the team of a restricted dispute: it leaves that member's view.
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.active AND NOT NEW.active) THEN
        INSERT INTO disputes_departure (resource, object_id, dispute_id, organisation_id, restricted, left_at)
        SELECT 'dispute', d.id, d.id, d.organisation_id, true, clock_timestamp()
        FROM disputes_dispute d WHERE d.id = row_.dispute_id AND d.confidentiality = 'restricted';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER team_sync AFTER INSERT OR UPDATE OR DELETE ON disputes_caseteammember
    FOR EACH ROW EXECUTE FUNCTION peacecase_team_sync();

CREATE OR REPLACE FUNCTION peacecase_user_sync() RETURNS trigger AS $$
BEGIN
    PERFORM peacecase_touch_disputes(ARRAY(
        SELECT dispute_id FROM disputes_caseteammember WHERE user_id = NEW.id AND active));
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER user_sync AFTER UPDATE OF name, email ON accounts_user
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.email IS DISTINCT FROM NEW.email)
    EXECUTE FUNCTION peacecase_user_sync();

CREATE OR REPLACE FUNCTION peacecase_issue_sync() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.title = OLD.title AND NEW.status = OLD.status AND NEW."order" = OLD."order" THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        PERFORM peacecase_touch_disputes(ARRAY[OLD.dispute_id]);
    ELSE
        PERFORM peacecase_touch_disputes(ARRAY[NEW.dispute_id]);
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER issue_sync AFTER INSERT OR UPDATE OR DELETE ON disputes_negotiationissue
    FOR EACH ROW EXECUTE FUNCTION peacecase_issue_sync();

CREATE OR REPLACE FUNCTION peacecase_dispute_departure() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO disputes_departure (resource, object_id, dispute_id, organisation_id, restricted, left_at)
        VALUES ('dispute', OLD.id, OLD.id, OLD.organisation_id, OLD.confidentiality = 'restricted', clock_timestamp());
    ELSIF NEW.confidentiality = 'restricted' AND OLD.confidentiality <> 'restricted' THEN
        -- It was standard until now: everyone in the organisation could see it.
        INSERT INTO disputes_departure (resource, object_id, dispute_id, organisation_id, restricted, left_at)
        VALUES ('dispute', NEW.id, NEW.id, NEW.organisation_id, false, clock_timestamp());
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER dispute_departure AFTER UPDATE OF confidentiality OR DELETE ON disputes_dispute
    FOR EACH ROW EXECUTE FUNCTION peacecase_dispute_departure();

CREATE OR REPLACE FUNCTION peacecase_share_departure() RETURNS trigger AS $$
BEGIN
    IF OLD.revoked_at IS NULL AND (TG_OP = 'DELETE' OR NEW.revoked_at IS NOT NULL) THEN
        INSERT INTO disputes_departure (resource, object_id, dispute_id, organisation_id, restricted, left_at)
        VALUES ('dispute', OLD.dispute_id, OLD.dispute_id, OLD.organisation_id, false, clock_timestamp());
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER share_departure AFTER UPDATE OF revoked_at OR DELETE ON disputes_caseshare
    FOR EACH ROW EXECUTE FUNCTION peacecase_share_departure();

CREATE OR REPLACE FUNCTION peacecase_note_departure() RETURNS trigger AS $$
BEGIN
    INSERT INTO disputes_departure (resource, object_id, dispute_id, organisation_id, restricted, left_at)
    VALUES ('note', NEW.id, NEW.dispute_id, NULL, false, clock_timestamp());
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER note_departure AFTER UPDATE OF visibility ON mediation_sessions_sessionnote
    FOR EACH ROW WHEN (NEW.visibility = 'team' AND OLD.visibility <> 'team')
    EXECUTE FUNCTION peacecase_note_departure();

CREATE OR REPLACE FUNCTION peacecase_agreement_child_departure() RETURNS trigger AS $$
BEGIN
    INSERT INTO disputes_departure (resource, object_id, dispute_id, organisation_id, restricted, left_at)
    SELECT TG_ARGV[0], OLD.id, a.dispute_id, NULL, false, clock_timestamp()
    FROM agreements_agreement a WHERE a.id = OLD.agreement_id;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER provision_departure AFTER DELETE ON agreements_provision
    FOR EACH ROW EXECUTE FUNCTION peacecase_agreement_child_departure('provision');
CREATE TRIGGER signatory_departure AFTER DELETE ON agreements_signatory
    FOR EACH ROW EXECUTE FUNCTION peacecase_agreement_child_departure('signatory');
'''

DROP_TRIGGERS = r'''
DROP TRIGGER IF EXISTS caseparty_sync ON disputes_caseparty;
DROP TRIGGER IF EXISTS party_sync ON parties_party;
DROP TRIGGER IF EXISTS team_sync ON disputes_caseteammember;
DROP TRIGGER IF EXISTS user_sync ON accounts_user;
DROP TRIGGER IF EXISTS issue_sync ON disputes_negotiationissue;
DROP TRIGGER IF EXISTS dispute_departure ON disputes_dispute;
DROP TRIGGER IF EXISTS share_departure ON disputes_caseshare;
DROP TRIGGER IF EXISTS provision_departure ON agreements_provision;
DROP TRIGGER IF EXISTS signatory_departure ON agreements_signatory;
DROP TRIGGER IF EXISTS note_departure ON mediation_sessions_sessionnote;
DROP FUNCTION IF EXISTS peacecase_caseparty_sync(), peacecase_party_sync(), peacecase_team_sync(),
    peacecase_user_sync(), peacecase_issue_sync(), peacecase_dispute_departure(), peacecase_share_departure(),
    peacecase_agreement_child_departure(), peacecase_note_departure(), peacecase_touch_disputes(bigint[]);
'''


class Migration(migrations.Migration):

    dependencies = [
        ('disputes', '0004_dispute_search_index'),
        # The triggers sit on these apps' tables too.
        ('accounts', '0002_security_settings'),
        ('parties', '0002_names_languages_constraints'),
        ('mediation_sessions', '0004_consent_withdrawn_by'),
        ('agreements', '0002_provision_current_score'),
    ]

    operations = [
        migrations.CreateModel(
            name='Departure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('resource', models.CharField(max_length=40, verbose_name='resource')),
                ('object_id', models.BigIntegerField(verbose_name='object id')),
                ('dispute_id', models.BigIntegerField(blank=True, null=True, verbose_name='dispute id')),
                ('organisation_id', models.BigIntegerField(blank=True, null=True, verbose_name='organisation id')),
                ('restricted', models.BooleanField(default=False, verbose_name='restricted')),
                ('left_at', models.DateTimeField(db_default=models.Func(function='clock_timestamp'), verbose_name='left at')),
            ],
            options={
                'verbose_name': 'departure',
                'verbose_name_plural': 'departures',
                'indexes': [models.Index(fields=['organisation_id', 'left_at'], name='departure_org_left'), models.Index(fields=['dispute_id', 'left_at'], name='departure_dispute_left')],
            },
        ),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
    ]

"""Load the five demo organisations, their staff and a dozen sample cases each. Idempotent.

Facts (deadlines, rights, retention periods, roles) come from the privacy policies in
shared/seeds/; the wording here is ours.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from dsar import actions
from dsar.models import Case, Decision
from tenants.models import DataCategory, IdentityField, Membership, RuleSet, Tenant

ALL_GDPR_RIGHTS = ["access", "rectification", "erasure", "portability", "restriction", "objection", "consent_withdrawal"]

TENANTS = [
    dict(
        slug="thamra",
        name="Thamra Group",
        name_ar="مجموعة ثمرة",
        legal_name="Thamra Group for Technology and Trading LLC",
        contact_email="support@thamragroup.com",
        address="Doha, Qatar",
        brand_colour="#0f6b4f",
        time_zone="Asia/Qatar",
        role=Tenant.Role.CONTROLLER,
        rule_sets=["qa-pdppl"],
        promised_period=30,
        promised_unit="days",
        minimum_age=18,
        rights=["access", "rectification", "erasure", "portability", "objection", "consent_withdrawal"],
        description="Makers of the CARE and CORE business platforms. We answer every privacy request within 30 calendar days.",
        description_ar="مطوّرو منصتَي CARE وCORE للأعمال. نرد على كل طلب خصوصية خلال 30 يومًا تقويميًا.",
        categories=[
            ("Account data", "بيانات الحساب", "CORE accounts, CARE accounts", "Contract", "Account lifetime plus 30 days after closure", "Kept briefly after closure so the account can be restored"),
            ("Conversation data", "بيانات المحادثات", "CARE inbox", "Contract", "90 days after the conversation closes (default)", "Organisation's retention setting"),
            ("Billing and invoice records", "سجلات الفوترة والفواتير", "Billing", "Legal obligation", "5 years from the transaction", "Qatar commercial law"),
            ("Support correspondence", "مراسلات الدعم", "Helpdesk", "Legitimate interest", "2 years from the last interaction", "Handling follow-up questions and disputes"),
        ],
        identity_fields=[],
    ),
    dict(
        slug="daftra",
        name="Daftra",
        name_ar="دفترة",
        legal_name="Daftra",
        contact_email="privacy@daftra.example",
        address="Riyadh, Saudi Arabia",
        brand_colour="#1d4f91",
        time_zone="Asia/Riyadh",
        role=Tenant.Role.CONTROLLER,
        rule_sets=["sa-pdpl"],
        minimum_age=18,
        rights=["access", "rectification", "erasure", "objection", "consent_withdrawal"],
        description="Cloud accounting and business software. We answer within 30 days; complex or multiple requests may need an extension, and we will tell you why.",
        description_ar="برامج محاسبة وأعمال سحابية. نرد خلال 30 يومًا، وقد تحتاج الطلبات المعقدة أو المتعددة إلى تمديد نخبرك بسببه.",
        categories=[
            ("Registration data", "بيانات التسجيل", "Accounts", "Contract", "Subscription period; backup kept 3 to 6 months after termination", "Backups allow restoring a terminated account"),
            ("Contact data", "بيانات التواصل", "CRM", "Legitimate interest", "Subscription period or while the business relationship lasts", "Customer relationship"),
            ("Call recordings", "تسجيلات المكالمات", "Telephony", "Legitimate interest", "As long as needed for quality assurance", "Quality assurance and training"),
            ("Marketing preferences", "تفضيلات التسويق", "Email platform", "Consent", "Until consent is withdrawn", ""),
        ],
        identity_fields=[
            ("account_id", "Account ID", "رقم الحساب", "Shown in Settings → Account in Daftra.", "يظهر في الإعدادات ← الحساب في دفترة.", True, False),
            ("support_pin", "Support PIN", "رمز الدعم", "The 6-digit PIN from your Daftra support page.", "الرمز المكوّن من 6 أرقام في صفحة الدعم.", True, True),
        ],
    ),
    dict(
        slug="qomoor",
        name="Qomoor",
        name_ar="قمور",
        legal_name="Qomoor",
        contact_email="support@qomoor.com",
        address="",
        brand_colour="#8a3b12",
        time_zone="Europe/London",
        role=Tenant.Role.CONTROLLER,
        rule_sets=["gdpr", "uk-gdpr", "ccpa"],
        minimum_age=13,
        rights=[],
        description="Online shop. Where you live decides which privacy law applies to your request: tell us first.",
        description_ar="متجر إلكتروني. يحدد مكان إقامتك القانون الذي ينطبق على طلبك: أخبرنا به أولًا.",
        categories=[
            ("Order data", "بيانات الطلبات", "Shop, Payments", "Contract; legal obligation", "7 years", "Tax law"),
            ("Contact data", "بيانات التواصل", "Shop accounts", "Contract", "While the account is open", ""),
            ("Marketing data", "بيانات التسويق", "Newsletter", "Consent", "Until consent is withdrawn or you unsubscribe", ""),
            ("Log data", "سجلات النظام", "Web servers", "Legitimate interest", "12 months", "Security and fraud prevention"),
            ("Device and usage data", "بيانات الجهاز والاستخدام", "Analytics", "Consent", "12 months", ""),
        ],
        identity_fields=[
            ("order_number", "Order number (optional)", "رقم الطلب (اختياري)", "Helps us find you faster.", "يساعدنا في العثور عليك بسرعة.", False, False),
        ],
    ),
    dict(
        slug="jambo",
        name="Jambo Contact",
        name_ar="جامبو كونتاكت",
        legal_name="CMA Technology Consultants FZCO",
        contact_email="privacy@jambo.example",
        address="Dubai, United Arab Emirates",
        brand_colour="#5b2a86",
        time_zone="Asia/Dubai",
        role=Tenant.Role.BOTH,
        rule_sets=["ae-pdpl"],
        promised_period=30,
        promised_unit="days",
        minimum_age=16,
        rights=["access", "rectification", "erasure", "restriction", "objection", "portability"],
        description="Lead and conversation platform. For our own account holders we decide how data is used; for our customers' leads we act on their instructions and pass your request to them.",
        description_ar="منصة للعملاء المحتملين والمحادثات. نتحكم ببيانات أصحاب الحسابات لدينا، ونعالج بيانات عملاء عملائنا بتعليماتهم ونحيل طلبك إليهم.",
        categories=[
            ("Account information", "معلومات الحساب", "Accounts, Billing", "Contract", "While the account is active and as the law requires after", ""),
            ("Customer content (leads and conversations)", "محتوى العملاء (العملاء المحتملون والمحادثات)", "Inbox, Forms", "Processed for our customer (controller)", "As the customer configures", "Held as processor"),
            ("Usage and technical data", "بيانات الاستخدام والبيانات التقنية", "Logs, Telemetry", "Legitimate interest", "As long as reasonably necessary for security", "Security and debugging"),
            ("Communications", "المراسلات", "Support", "Legitimate interest", "As long as reasonably necessary", ""),
        ],
        identity_fields=[],
    ),
    dict(
        slug="aqari",
        name="Aqari CRM",
        name_ar="عقاري CRM",
        legal_name="Aqari CRM",
        contact_email="privacy@aqari.example",
        address="Dubai, United Arab Emirates",
        brand_colour="#b8860b",
        time_zone="Asia/Dubai",
        role=Tenant.Role.BOTH,
        rule_sets=["ae-pdpl"],
        promised_period=30,
        promised_unit="days",
        minimum_age=18,
        rights=["access", "rectification", "erasure", "objection", "restriction", "consent_withdrawal"],
        description="Real-estate CRM. If you are a lead of an agency using Aqari, the agency decides about your data: we route your request to it and help it answer.",
        description_ar="نظام إدارة علاقات عقاري. إذا كنت عميلًا محتملًا لوكالة تستخدم عقاري فالوكالة هي المتحكمة ببياناتك: نحيل طلبك إليها ونساعدها في الرد.",
        categories=[
            ("Agency account and billing data", "بيانات حساب الوكالة والفوترة", "Accounts, Payments", "Contract", "While the subscription is active and a reasonable period after", "Legal retention requirements"),
            ("Invited users", "المستخدمون المدعوون", "CRM", "Contract", "While the subscription is active", ""),
            ("Lead and customer data", "بيانات العملاء المحتملين", "CRM", "Processed for the agency (controller)", "As the agency decides", "Held as processor"),
            ("Messages and call metadata", "الرسائل وبيانات المكالمات", "WhatsApp, SMS, Email", "Processed for the agency (controller)", "As the agency decides", "Held as processor"),
            ("Technical and usage data", "البيانات التقنية وبيانات الاستخدام", "Logs", "Legitimate interest", "As long as needed for security and billing", ""),
        ],
        identity_fields=[],
    ),
]

SAMPLE_PEOPLE = [
    ("Layla Haddad", "layla.haddad"), ("Omar Nasser", "omar.nasser"), ("Fatima Al-Sayed", "fatima.alsayed"),
    ("James Carter", "james.carter"), ("Mariam Yousef", "mariam.yousef"), ("Ahmed Karim", "ahmed.karim"),
    ("Sara Lindqvist", "sara.lindqvist"), ("Hassan Mahdi", "hassan.mahdi"), ("Noura Saleh", "noura.saleh"),
    ("Daniel Okafor", "daniel.okafor"), ("Aisha Rahman", "aisha.rahman"), ("Yusuf Demir", "yusuf.demir"),
]

# (status, request type index, days since receipt, language): due dates spread around today so the
# SLA sweep has reminders to send (due in 7, 3, 1 days; overdue) as soon as the worker runs.
SAMPLE_PLAN = [
    ("unconfirmed", 0, 0, "en"),
    ("received", 1, 2, "ar"),
    ("received", 0, 23, "en"),
    ("verifying", 2, 6, "en"),
    ("in_progress", 0, 27, "ar"),
    ("in_progress", 2, 29, "en"),
    ("in_progress", 1, 40, "en"),
    ("awaiting_requester", 0, 10, "en"),
    ("completed", 2, 35, "en"),
    ("completed", 0, 50, "ar"),
    ("denied", 1, 45, "en"),
    ("withdrawn", 0, 15, "en"),
]


class Command(BaseCommand):
    help = "Create the five demo organisations, their staff and sample cases (safe to run again)."

    def handle(self, *args, **options):
        password, generated = self._password()
        with transaction.atomic():
            admin = self._user("admin", password, superuser=True)
            for spec in TENANTS:
                tenant = self._tenant(spec)
                officer = self._user(f"{tenant.slug}-officer", password)
                Membership.objects.get_or_create(user=officer, tenant=tenant, defaults={"role": Membership.Role.OFFICER})
                if not tenant.cases.exists():
                    self._cases(tenant, officer)
        self.stdout.write(self.style.SUCCESS("Demo data ready: thamra daftra qomoor jambo aqari."))
        self.stdout.write(f"  superuser: admin / {password}")
        self.stdout.write(f"  officers:  <slug>-officer (e.g. thamra-officer) / {password}")
        if generated:
            self.stdout.write(f"  (password generated and kept in {self._password_file()}; set DEMO_PASSWORD to choose one)")
        del admin

    def _password_file(self):
        return settings.VAR_DIR / "demo-password.txt"

    def _password(self):
        import os

        if os.environ.get("DEMO_PASSWORD"):
            return os.environ["DEMO_PASSWORD"], False
        path = self._password_file()
        if path.exists():
            return path.read_text().strip(), True
        password = secrets.token_urlsafe(12)
        path.write_text(password + "\n")
        path.chmod(0o600)
        return password, True

    def _user(self, username, password, superuser=False):
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@demo.example", "is_staff": True, "is_superuser": superuser}
        )
        if created or not user.check_password(password):
            user.set_password(password)
            user.save()
        return user

    def _tenant(self, spec):
        spec = dict(spec)
        categories = spec.pop("categories")
        identity_fields = spec.pop("identity_fields")
        rule_codes = spec.pop("rule_sets")
        tenant, _ = Tenant.objects.update_or_create(slug=spec.pop("slug"), defaults=spec)
        tenant.rule_sets.set(RuleSet.objects.filter(code__in=rule_codes))
        for order, (name, name_ar, systems, basis, retention, reason) in enumerate(categories):
            DataCategory.objects.update_or_create(
                tenant=tenant, name=name,
                defaults=dict(name_ar=name_ar, systems=systems, legal_basis=basis, retention_period=retention,
                              retention_reason=reason, held_as_processor="processor" in reason.lower()
                              or "(controller)" in basis, order=order),
            )
        for order, (key, label, label_ar, help_en, help_ar, required, secret) in enumerate(identity_fields):
            IdentityField.objects.update_or_create(
                tenant=tenant, key=key,
                defaults=dict(label=label, label_ar=label_ar, help_text=help_en, help_text_ar=help_ar,
                              required=required, secret=secret, order=order),
            )
        return tenant

    def _cases(self, tenant, officer):
        rule_sets = list(tenant.rule_sets.order_by("code"))
        now = timezone.now()
        for index, (status, type_index, days_ago, language) in enumerate(SAMPLE_PLAN):
            rule_set = rule_sets[index % len(rule_sets)]
            offered = [t.value for t in tenant.offered_request_types(rule_set)]
            request_type = offered[type_index % len(offered)]
            name, handle = SAMPLE_PEOPLE[index]
            email = f"{handle}@example.com"
            identity = {f.key: (f"A-10{index:03d}" if not f.secret else f"{index * 7919 % 10**6:06d}")
                        for f in tenant.identity_fields.all()}
            if status == "unconfirmed":
                actions.submit_request(
                    tenant, rule_set=rule_set, request_type=request_type, requester_name=name, requester_email=email,
                    language=language, identity_answers=identity,
                    description="Please send me a copy of everything you hold about me.",
                )
                continue
            case = actions.log_offline_request(
                tenant, officer, rule_set=rule_set, request_type=request_type,
                channel=[Case.Channel.EMAIL, Case.Channel.PHONE, Case.Channel.LETTER][index % 3],
                received_at=now - timedelta(days=days_ago, hours=3), requester_name=name, requester_email=email,
                language=language, identity_answers=identity,
                description="I would like to know what you hold about me and have it corrected or removed where needed.",
            )
            if status == "received" and tenant.is_processor and index == 2:
                actions.forward_to_controller(case, officer, controller="Palm Realty Brokers (the agency holding the lead)",
                                              note="The requester is a lead of an agency; the agency is the controller.")
                continue
            if status == "received":
                continue
            if status == "verifying":
                actions.start_verification(case, officer)
                continue
            if status == "withdrawn":
                actions.withdraw(case, officer, note="The requester wrote that the matter is resolved.")
                continue
            if status == "denied":
                actions.deny(case, officer, reason=Case.DenialReason.IDENTITY_NOT_VERIFIED,
                             details="We asked twice for proof of identity and received none.")
                continue
            actions.verify_identity(case, officer, method="Matched account email and a recent invoice number")
            if status == "awaiting_requester":
                actions.request_information(case, officer, reason="clarification",
                                            body="Which of your accounts does your request concern?")
                continue
            actions.create_tasks_from_inventory(case, officer)
            if status == "in_progress":
                continue
            for category in tenant.data_categories.all():
                kept = case.request_type == "erasure" and category.retention_reason and not category.held_as_processor
                outcome = {
                    "access": Decision.Outcome.DISCLOSED, "portability": Decision.Outcome.DISCLOSED,
                    "rectification": Decision.Outcome.RECTIFIED, "erasure": Decision.Outcome.ERASED,
                }.get(case.request_type, Decision.Outcome.STOPPED)
                if category.held_as_processor:
                    outcome = Decision.Outcome.NOT_HELD
                actions.record_decision(case, officer, data_category=category,
                                        outcome=Decision.Outcome.KEPT if kept else outcome)
            actions.complete(case, officer, note="Handled in full.")

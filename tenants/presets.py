"""Jurisdiction rule-set presets, shipped with citations (plain data, no Django).

A data migration loads these into the ``Jurisdiction`` model; ``dsar.sla.rules_from_preset``
turns one into the clock's ``Rules``. Keys:

``period``/``unit``: the statutory response period (``None`` when the law sets none or when we
could not confirm the figure: see ``notes``); ``no_statutory_deadline``: the law sets no period,
so the tenant must promise one; ``clock_starts``: ``receipt`` or ``verification``;
``pause_for_*``: whether the law lets that reason stop the clock; ``extension_*``: length and cap
of extensions; ``extension_notice_required``: the requester must be told (with reasons) before the
original deadline; ``acknowledge_*``: duty to confirm receipt; ``right_periods``: shorter periods
per request type; ``rights``: request types offered; ``verification_required``: request types for
which identity must be verified before acting.

Confidence is recorded in ``notes``: "Confirmed" means checked against the text of the law or
regulator guidance (or a reproduction of it); "Unconfirmed" means not checked against a primary
source. No figure here is a guess: where one could not be confirmed it is ``None``.
"""

DAYS, WORKING_DAYS, MONTHS = "days", "working_days", "months"
RECEIPT, VERIFICATION = "receipt", "verification"

GDPR_RIGHTS = [
    "access", "rectification", "erasure", "portability", "restriction", "objection",
    "consent_withdrawal",
]
# Rights whose answer discloses or changes personal data: identity must be verified first.
GDPR_VERIFY = ["access", "rectification", "erasure", "portability", "restriction"]

PRESETS = [
    {
        "code": "gdpr",
        "name": "EU General Data Protection Regulation",
        "name_ar": "اللائحة العامة لحماية البيانات في الاتحاد الأوروبي",
        "country": "EU",
        "subdivision": "",
        "no_statutory_deadline": False,
        "period": 1,
        "unit": MONTHS,
        "roll_forward": True,
        "clock_starts": RECEIPT,
        "pause_for_identity": False,
        "pause_for_clarification": False,
        "extension_period": 2,
        "extension_unit": MONTHS,
        "max_extensions": 1,
        "extension_notice_required": True,
        "acknowledge_period": None,
        "acknowledge_unit": WORKING_DAYS,
        "right_periods": {},
        "rights": GDPR_RIGHTS,
        "verification_required": GDPR_VERIFY,
        "citation": (
            "Regulation (EU) 2016/679, Art. 12(3); Regulation (EEC, Euratom) No 1182/71, Art. 3; "
            "EDPB Guidelines 01/2022 on data subject rights - Right of access, section 5.3"
        ),
        "regulator_name": "The data protection authority of the member state (lead authority)",
        "regulator_name_ar": "سلطة حماية البيانات في الدولة العضو",
        "regulator_url": "https://www.edpb.europa.eu/about-edpb/about-edpb/members_en",
        "notes": (
            "Confirmed: Art. 12(3) one month from receipt, extendable by two further months where "
            "necessary (complexity, number of requests), the data subject to be informed of the "
            "extension with reasons within the first month. Counting per Reg. 1182/71 art. 3: day of "
            "receipt not counted; same date next month or last day of the month; a period ending on a "
            "Saturday, Sunday or public holiday ends on the next working day. The GDPR does not stop "
            "the clock for identity checks or clarification (the EDPB accepts a later start only "
            "where a request cannot be understood); modelled as no pause. Calendar 'EU' has no public "
            "holidays: pick the member state (e.g. IE, DE) to get its holidays."
        ),
    },
    {
        "code": "uk-gdpr",
        "name": "UK GDPR and Data Protection Act 2018",
        "name_ar": "اللائحة العامة لحماية البيانات في المملكة المتحدة وقانون حماية البيانات 2018",
        "country": "GB",
        "subdivision": "ENG",
        "no_statutory_deadline": False,
        "period": 1,
        "unit": MONTHS,
        "roll_forward": True,
        "clock_starts": VERIFICATION,
        "pause_for_identity": False,
        "pause_for_clarification": True,
        "extension_period": 2,
        "extension_unit": MONTHS,
        "max_extensions": 1,
        "extension_notice_required": True,
        "acknowledge_period": None,
        "acknowledge_unit": WORKING_DAYS,
        "right_periods": {},
        "rights": GDPR_RIGHTS,
        "verification_required": GDPR_VERIFY,
        "citation": (
            "UK GDPR Art. 12(3); ICO guidance 'Right of access: time limits' (how to calculate the "
            "one-month period; the time limit starts when any information requested to confirm "
            "identity is received)"
        ),
        "regulator_name": "Information Commissioner's Office (ICO)",
        "regulator_name_ar": "مكتب مفوض المعلومات",
        "regulator_url": "https://ico.org.uk/",
        "notes": (
            "Confirmed (ICO guidance): one calendar month counted from the day of receipt to the "
            "corresponding date next month, or the last day of the next month when there is no such "
            "date; a weekend or bank holiday deadline moves to the next working day; +2 months for "
            "complex or numerous requests with notice within the first month. The time limit starts "
            "on receipt of the request or, if later, of information requested to confirm identity: "
            "clock_starts=verification. The ICO says the clock also starts afresh on receipt of "
            "requested clarification; modelled as a pause for clarification (conservative: earlier "
            "due date than a restart). Subdivision ENG by default; Scotland (SCT) and Northern "
            "Ireland (NIR) have different bank holidays."
        ),
    },
    {
        "code": "ccpa",
        "name": "California Consumer Privacy Act (as amended by the CPRA)",
        "name_ar": "قانون خصوصية المستهلك في كاليفورنيا",
        "country": "US",
        "subdivision": "CA",
        "no_statutory_deadline": False,
        "period": 45,
        "unit": DAYS,
        "roll_forward": False,
        "clock_starts": RECEIPT,
        "pause_for_identity": False,
        "pause_for_clarification": False,
        "extension_period": 45,
        "extension_unit": DAYS,
        "max_extensions": 1,
        "extension_notice_required": True,
        "acknowledge_period": 10,
        "acknowledge_unit": WORKING_DAYS,
        "right_periods": {"opt_out": (15, WORKING_DAYS), "limit_use": (15, WORKING_DAYS)},
        "rights": ["access", "rectification", "erasure", "opt_out", "limit_use"],
        "verification_required": ["access", "rectification", "erasure"],
        "citation": (
            "Cal. Civ. Code 1798.130(a)(2); Cal. Code Regs. tit. 11, 7021(a)-(b) (confirm receipt "
            "within 10 business days; respond within 45 calendar days, +45 with notice, 90 days "
            "maximum), 7026(f) (opt-out of sale/sharing: 15 business days), 7027 (limit use of "
            "sensitive personal information: 15 business days)"
        ),
        "regulator_name": "California Privacy Protection Agency",
        "regulator_name_ar": "وكالة حماية الخصوصية في كاليفورنيا",
        "regulator_url": "https://cppa.ca.gov/",
        "notes": (
            "Confirmed (text of 7021): confirm receipt within 10 business days; respond to requests "
            "to know, delete and correct within 45 calendar days; the period begins on the day of "
            "receipt regardless of the time needed to verify (no pause, clock from receipt); up to "
            "45 more days (90 in total) with notice and reasons. Opt-out of sale/sharing and limit "
            "use: 15 business days (7026; 7027 not re-read here, same 15 business days per the brief "
            "and secondary sources). The regulations count calendar days with no roll-forward rule, "
            "so roll_forward is off (conservative). Business days = Mon-Fri without US federal and "
            "California state holidays from the holidays package."
        ),
    },
    {
        "code": "sa-pdpl",
        "name": "Saudi Personal Data Protection Law",
        "name_ar": "نظام حماية البيانات الشخصية",
        "country": "SA",
        "subdivision": "",
        "no_statutory_deadline": False,
        "period": 30,
        "unit": DAYS,
        "roll_forward": True,
        "clock_starts": RECEIPT,
        "pause_for_identity": False,
        "pause_for_clarification": False,
        "extension_period": 30,
        "extension_unit": DAYS,
        "max_extensions": 1,
        "extension_notice_required": True,
        "acknowledge_period": None,
        "acknowledge_unit": WORKING_DAYS,
        "right_periods": {},
        "rights": ["access", "rectification", "erasure", "portability", "restriction", "objection",
                "consent_withdrawal"],
        "verification_required": ["access", "rectification", "erasure", "portability", "restriction"],
        "citation": (
            "PDPL (Royal Decree M/19 of 9/2/1443H, amended by M/147 of 5/9/1444H) Art. 4; "
            "Implementing Regulation of the PDPL (SDAIA, 2023) Art. 3(1)(a)"
        ),
        "regulator_name": "Saudi Data and Artificial Intelligence Authority (SDAIA)",
        "regulator_name_ar": "الهيئة السعودية للبيانات والذكاء الاصطناعي (سدايا)",
        "regulator_url": "https://sdaia.gov.sa/",
        "notes": (
            "Confirmed (Implementing Regulation Art. 3(1)(a), as reproduced by ksapdpl.com): act on "
            "the request within a period not exceeding 30 days; extendable by no more than 30 further "
            "days where implementation needs disproportionate effort or the data subject sent several "
            "requests, with the data subject notified in advance with the reasons. The regulation "
            "requires verifying the requester's identity but does not say the clock stops meanwhile: "
            "no pause. Roll-forward to the next working day is not stated in the regulation: kept on "
            "as the usual reading of day periods in Saudi practice - unconfirmed; a tenant may turn it "
            "off. Days are calendar days (the text says days, not working days). Portability and "
            "restriction are offered as the rights list of Art. 4 of the Law is read broadly - check "
            "per tenant."
        ),
    },
    {
        "code": "qa-pdppl",
        "name": "Qatar Personal Data Privacy Protection Law",
        "name_ar": "قانون حماية خصوصية البيانات الشخصية",
        "country": "QA",
        "subdivision": "",
        "no_statutory_deadline": True,
        "period": None,
        "unit": DAYS,
        "roll_forward": True,
        "clock_starts": RECEIPT,
        "pause_for_identity": False,
        "pause_for_clarification": False,
        "extension_period": None,
        "extension_unit": DAYS,
        "max_extensions": 0,
        "extension_notice_required": False,
        "acknowledge_period": None,
        "acknowledge_unit": WORKING_DAYS,
        "right_periods": {},
        "rights": ["access", "rectification", "erasure", "objection", "consent_withdrawal"],
        "verification_required": ["access", "rectification", "erasure"],
        "citation": "Law No. 13 of 2016 on Personal Data Privacy Protection, Arts. 5-6",
        "regulator_name": "National Cyber Security Agency - National Cyber Governance and Assurance Affairs",
        "regulator_name_ar": "الوكالة الوطنية للأمن السيبراني",
        "regulator_url": "https://assurance.ncsa.gov.qa/",
        "notes": (
            "Unconfirmed: we found no response period in the text of Law 13/2016 as summarised by "
            "secondary sources (DLA Piper, Securiti); the NCSA/MOTC regulatory guidelines (2020-2021) "
            "may set one, but we could not check them. Marked no_statutory_deadline: the tenant must "
            "set its own promised period (e.g. Thamra promises 30 calendar days)."
        ),
    },
    {
        "code": "ae-pdpl",
        "name": "UAE Federal Personal Data Protection Law",
        "name_ar": "المرسوم بقانون اتحادي بشأن حماية البيانات الشخصية",
        "country": "AE",
        "subdivision": "",
        "no_statutory_deadline": True,
        "period": None,
        "unit": DAYS,
        "roll_forward": True,
        "clock_starts": RECEIPT,
        "pause_for_identity": False,
        "pause_for_clarification": False,
        "extension_period": None,
        "extension_unit": DAYS,
        "max_extensions": 0,
        "extension_notice_required": False,
        "acknowledge_period": None,
        "acknowledge_unit": WORKING_DAYS,
        "right_periods": {},
        "rights": ["access", "rectification", "erasure", "portability", "restriction", "objection",
                "consent_withdrawal"],
        "verification_required": ["access", "rectification", "erasure", "portability", "restriction"],
        "citation": "Federal Decree-Law No. 45 of 2021 on the Protection of Personal Data, Arts. 13-19, 28",
        "regulator_name": "UAE Data Office",
        "regulator_name_ar": "مكتب الإمارات للبيانات",
        "regulator_url": "https://u.ae/",
        "notes": (
            "Confirmed that the law itself sets no response period and leaves details to executive "
            "regulations (Art. 28), which had not been issued as of the sources we checked "
            "(DataGuidance). Hence no_statutory_deadline: the tenant must set its promised period. "
            "Does not apply in DIFC or ADGM (own laws, see those presets). Weekend Sat-Sun since 2022."
        ),
    },
    {
        "code": "bh-pdpl",
        "name": "Bahrain Personal Data Protection Law",
        "name_ar": "قانون حماية البيانات الشخصية البحريني",
        "country": "BH",
        "subdivision": "",
        "no_statutory_deadline": True,
        "period": None,
        "unit": WORKING_DAYS,
        "roll_forward": True,
        "clock_starts": RECEIPT,
        "pause_for_identity": False,
        "pause_for_clarification": False,
        "extension_period": None,
        "extension_unit": DAYS,
        "max_extensions": 0,
        "extension_notice_required": False,
        "acknowledge_period": None,
        "acknowledge_unit": WORKING_DAYS,
        "right_periods": {
            "rectification": (10, WORKING_DAYS),
            "erasure": (10, WORKING_DAYS),
            "restriction": (10, WORKING_DAYS),  # "blocking" in the law
        },
        "rights": ["access", "rectification", "erasure", "restriction", "objection", "consent_withdrawal"],
        "verification_required": ["access", "rectification", "erasure", "restriction"],
        "citation": "Law No. 30 of 2018 with respect to Personal Data Protection, Arts. 17-23",
        "regulator_name": "Personal Data Protection Authority",
        "regulator_name_ar": "هيئة حماية البيانات الشخصية",
        "regulator_url": "https://www.pdp.gov.bh/",
        "notes": (
            "Confirmed from a secondary source (Zubi & Partners Q&A 2024): Art. 23 requests to "
            "rectify, block or erase must be answered within 10 working days of receipt (mapped to "
            "rectification, restriction and erasure). Unconfirmed: no period found for access "
            "(Art. 17-18) and the other rights; base period left empty (no_statutory_deadline) so "
            "the tenant must promise one for those."
        ),
    },
    {
        "code": "om-pdpl",
        "name": "Oman Personal Data Protection Law",
        "name_ar": "قانون حماية البيانات الشخصية العماني",
        "country": "OM",
        "subdivision": "",
        "no_statutory_deadline": False,
        "period": 45,
        "unit": DAYS,
        "roll_forward": True,
        "clock_starts": RECEIPT,
        "pause_for_identity": False,
        "pause_for_clarification": False,
        "extension_period": None,
        "extension_unit": DAYS,
        "max_extensions": 0,
        "extension_notice_required": False,
        "acknowledge_period": None,
        "acknowledge_unit": WORKING_DAYS,
        "right_periods": {},
        "rights": ["access", "rectification", "erasure", "portability", "restriction",
                "consent_withdrawal"],
        "verification_required": ["access", "rectification", "erasure", "portability", "restriction"],
        "citation": (
            "Royal Decree 6/2022 promulgating the Personal Data Protection Law, Art. 11; Executive "
            "Regulation, Ministerial Decision 34/2024 (MTCIT)"
        ),
        "regulator_name": "Ministry of Transport, Communications and Information Technology (MTCIT)",
        "regulator_name_ar": "وزارة النقل والاتصالات وتقنية المعلومات",
        "regulator_url": "https://www.mtcit.gov.om/",
        "notes": (
            "Confirmed from a secondary source (decree.om blog on the Executive Regulation): "
            "requests under Art. 11 must be fulfilled free of charge within 45 days. Unconfirmed: "
            "the exact article of the Executive Regulation, whether days are calendar days (assumed), "
            "and any extension (none found: no extension in this preset)."
        ),
    },
    {
        "code": "adgm",
        "name": "ADGM Data Protection Regulations 2021",
        "name_ar": "لوائح حماية البيانات لسوق أبوظبي العالمي 2021",
        "country": "AE",
        "subdivision": "",
        "no_statutory_deadline": False,
        "period": 2,
        "unit": MONTHS,
        "roll_forward": True,
        "clock_starts": RECEIPT,
        "pause_for_identity": False,
        "pause_for_clarification": False,
        "extension_period": 1,
        "extension_unit": MONTHS,
        "max_extensions": 1,
        "extension_notice_required": True,
        "acknowledge_period": None,
        "acknowledge_unit": WORKING_DAYS,
        "right_periods": {},
        "rights": GDPR_RIGHTS,
        "verification_required": GDPR_VERIFY,
        "citation": "ADGM Data Protection Regulations 2021, s. 10(3)-(4)",
        "regulator_name": "ADGM Office of Data Protection",
        "regulator_name_ar": "مكتب حماية البيانات في سوق أبوظبي العالمي",
        "regulator_url": "https://www.adgm.com/operating-in-adgm/office-of-data-protection",
        "notes": (
            "Confirmed (text of s. 10(3)-(4)): information on action taken within two months of "
            "receipt; extendable by one month where necessary (complexity, number of requests), the "
            "data subject to be informed within two months of receipt with the reasons. Roll-forward "
            "is not stated in the text: kept on as for the GDPR-modelled counting - unconfirmed."
        ),
    },
    {
        "code": "difc",
        "name": "DIFC Data Protection Law 2020",
        "name_ar": "قانون حماية البيانات لمركز دبي المالي العالمي 2020",
        "country": "AE",
        "subdivision": "",
        "no_statutory_deadline": False,
        "period": None,
        "unit": MONTHS,
        "roll_forward": True,
        "clock_starts": RECEIPT,
        "pause_for_identity": False,
        "pause_for_clarification": False,
        "extension_period": None,
        "extension_unit": MONTHS,
        "max_extensions": 0,
        "extension_notice_required": True,
        "acknowledge_period": None,
        "acknowledge_unit": WORKING_DAYS,
        "right_periods": {},
        "rights": GDPR_RIGHTS,
        "verification_required": GDPR_VERIFY,
        "citation": "DIFC Law No. 5 of 2020 (Data Protection Law), Part 6, Arts. 32-40 (Art. 33)",
        "regulator_name": "DIFC Commissioner of Data Protection",
        "regulator_name_ar": "مفوض حماية البيانات في مركز دبي المالي العالمي",
        "regulator_url": "https://www.difc.ae/business/registrars-and-commissioners/commissioner-of-data-protection",
        "notes": (
            "UNCONFIRMED: the law sets a response period (believed to be one month, extendable by "
            "two months, GDPR-style, in Art. 33), but we could not check the figure against the text "
            "of the law or the Commissioner's guidance, so period and extension are left empty "
            "rather than guessed. no_statutory_deadline is False because a deadline does exist: "
            "verify Art. 33 and fill in period/extension before relying on this preset."
        ),
    },
]

PRESET_CODES = [p["code"] for p in PRESETS]

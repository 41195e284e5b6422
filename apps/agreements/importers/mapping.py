"""How the public datasets' codes map onto PeaceCase's fixed lists.

Each table is data, not code, so a reviewer can check a line against the codebooks
(UCDP Peace Agreement Dataset codebook v22.1; PA-X codebook v10). A dataset column that is
not in a table is not imported as a provision: aggregates ("any military provision"),
descriptions of the agreement itself ("reaffirms an earlier agreement") and PA-X's sub-codes
(whose parent code is imported) would only double-count.

Provision categories from UCDP flags (a provision is created when the flag is 1)
-------------------------------------------------------------------------------
=============  ==========================================  ======================
UCDP column    meaning (codebook)                          category
=============  ==========================================  ======================
cease          ceasefire                                   ceasefire
intarmy        integration of rebels into the army         ddr
ddr            disarmament, demobilisation, reintegration  ddr
withd          withdrawal of foreign forces                withdrawal
pp             rebels transformed into a political party   power_sharing
intgov         rebels integrated into government           power_sharing
intciv         rebels integrated into the civil service    power_sharing
elections      elections                                   elections
interim        interim government                          power_sharing
natalks        national talks / dialogue                   other
shagov         shared (power-sharing) government           power_sharing
aut            autonomy                                    decentralisation
fed            federalism                                  decentralisation
ind            independence                                decentralisation
ref            referendum                                  elections
shaloc         shared local government                     decentralisation
regdev         regional development                        socio_economic
cul            cultural freedoms                           human_rights
demarcation    border demarcation                          other
locgov         local government                            decentralisation
amn            amnesty                                     amnesty
pris           prisoner release                            prisoner_release
recon          reconciliation                              transitional_justice
return         return of refugees / displaced persons      refugees_idps
pko            peacekeeping operation                      peacekeeping
gender         gender provisions                           gender
co_impl        commission / committee for implementation   verification
=============  ==========================================  ======================
Not imported: mil_prov, pol_prov, terr_prov, justice_prov (aggregates of the above),
reaffirm, outlin (describe the agreement, not a commitment), noconf17, txt, inclusive.

Provision categories from PA-X codes (a provision is created when the value is > 0;
PA-X scores many codes 1–3 for depth, which is kept in the provision's text)
------------------------------------------------------------------------------
=========  ===========================================  ======================
PA-X code  meaning (codebook)                           category
=========  ===========================================  ======================
Ce         ceasefire                                    ceasefire
SsrDdr     DDR                                          ddr
SsrPsf     parastatal / rebel / opposition forces       ddr
SsrFf      withdrawal of foreign forces                 withdrawal
SsrArm     armed forces reform                          other
SsrPol     police reform                                other
SsrGua     security guarantees                          other
Polps      political power sharing                      power_sharing
Eps        economic power sharing                       power_sharing
Mps        military power sharing                       power_sharing
Terps      territorial power sharing                    decentralisation
Ele        elections                                    elections
ElecComm   electoral commission                         elections
ImRef      referendum on the agreement                  elections
Cons       new constitution                             constitutional_reform
ConRen     constitutional reform / amendment            constitutional_reform
TjGen      transitional justice (general)               transitional_justice
TjMech     transitional justice mechanism               transitional_justice
TjCou      courts                                       transitional_justice
TjVic      victims                                      transitional_justice
TjMis      missing persons                              transitional_justice
TjRep      reparations                                  transitional_justice
TjNR       national reconciliation                      transitional_justice
TjVet      vetting                                      transitional_justice
TjAm       amnesty                                      amnesty
TjPrire    prisoner release                             prisoner_release
HrGen      human rights (general)                       human_rights
HrCp       civil and political rights                   human_rights
HrSec      socio-economic rights                        human_rights
HrNi       national human rights institution            human_rights
HrIi       international human rights oversight         human_rights
HrCit      citizenship                                  human_rights
Prot       protection measures                          human_rights
GeWom      women, girls and gender                      gender
GeLgbti    LGBTI                                        gender
GRef       refugees and displaced persons               refugees_idps
Dev        socio-economic reconstruction                socio_economic
NEC        national economic plan                       socio_economic
LaRef      land reform                                  natural_resources
NatRes     natural resources                            natural_resources
Wat        water                                        natural_resources
LaEn       environment                                  natural_resources
ImPK       international mission / peacekeeping force   peacekeeping
ImE        enforcement / verification mechanism         verification
=========  ===========================================  ======================
Not imported: the group codes other than GRef (GCh, GDis, ...), state definition (St*),
governance details (Pol, PolPar, Civso, Tral, Pubad, ConGen, Med, HrDem, HrDet, HrMob, ...),
justice sector (Jus*), finance (Bus, Tax, Ban, IntFu), cultural heritage (LaCH*), land
sub-codes, crime and corruption (Cor, SsrCrOcr, SsrDrugs, Terr), and every sub-code
(Pps*, Tps*, Eps*, Mps*, Cpr*, Ser*, Cit*, Ddr*, Ce*, TjAm*, TjR*, ...).

Agreement types
---------------
UCDP pa_type: 1 full → comprehensive; 2 partial → framework; 3 process → pre_negotiation.
PA-X Stage: Pre → pre_negotiation; SubPar → framework; SubComp → comprehensive;
Imp / ImpRen → implementation; Ren → renewal; Cea → ceasefire; Oth → other-than-listed
documents are kept as framework. PA-X Status "Unilateral document" → unilateral_declaration,
whatever the stage.
"""

from __future__ import annotations

from apps.agreements.models import AgreementType, ProvisionCategory

C = ProvisionCategory

# column → (category, English label of the commitment)
UCDP_PROVISIONS: dict[str, tuple[str, str]] = {
    "cease": (C.CEASEFIRE, "Ceasefire"),
    "intarmy": (C.DDR, "Integration of rebel forces into the army"),
    "ddr": (C.DDR, "Disarmament, demobilisation and reintegration"),
    "withd": (C.WITHDRAWAL, "Withdrawal of foreign forces"),
    "pp": (C.POWER_SHARING, "Rebel group transformed into a political party"),
    "intgov": (C.POWER_SHARING, "Rebels integrated into the government"),
    "intciv": (C.POWER_SHARING, "Rebels integrated into the civil service"),
    "elections": (C.ELECTIONS, "Elections"),
    "interim": (C.POWER_SHARING, "Interim government"),
    "natalks": (C.OTHER, "National talks / dialogue"),
    "shagov": (C.POWER_SHARING, "Shared government"),
    "aut": (C.DECENTRALISATION, "Autonomy"),
    "fed": (C.DECENTRALISATION, "Federal arrangement"),
    "ind": (C.DECENTRALISATION, "Independence"),
    "ref": (C.ELECTIONS, "Referendum"),
    "shaloc": (C.DECENTRALISATION, "Shared local government"),
    "regdev": (C.SOCIO_ECONOMIC, "Regional development"),
    "cul": (C.HUMAN_RIGHTS, "Cultural freedoms"),
    "demarcation": (C.OTHER, "Border demarcation"),
    "locgov": (C.DECENTRALISATION, "Local government"),
    "amn": (C.AMNESTY, "Amnesty"),
    "pris": (C.PRISONER_RELEASE, "Prisoner release"),
    "recon": (C.TRANSITIONAL_JUSTICE, "Reconciliation"),
    "return": (C.REFUGEES, "Return of refugees and displaced persons"),
    "pko": (C.PEACEKEEPING, "Peacekeeping operation"),
    "gender": (C.GENDER, "Gender provisions"),
    "co_impl": (C.VERIFICATION, "Commission or committee to oversee implementation"),
}

PAX_PROVISIONS: dict[str, tuple[str, str]] = {
    "Ce": (C.CEASEFIRE, "Ceasefire"),
    "SsrDdr": (C.DDR, "Disarmament, demobilisation and reintegration"),
    "SsrPsf": (C.DDR, "Parastatal, rebel and opposition forces"),
    "SsrFf": (C.WITHDRAWAL, "Withdrawal of foreign forces"),
    "SsrArm": (C.OTHER, "Armed forces reform"),
    "SsrPol": (C.OTHER, "Police reform"),
    "SsrGua": (C.OTHER, "Security guarantees"),
    "Polps": (C.POWER_SHARING, "Political power sharing"),
    "Eps": (C.POWER_SHARING, "Economic power sharing"),
    "Mps": (C.POWER_SHARING, "Military power sharing"),
    "Terps": (C.DECENTRALISATION, "Territorial power sharing"),
    "Ele": (C.ELECTIONS, "Elections"),
    "ElecComm": (C.ELECTIONS, "Electoral commission"),
    "ImRef": (C.ELECTIONS, "Referendum on the agreement"),
    "Cons": (C.CONSTITUTIONAL_REFORM, "New constitution"),
    "ConRen": (C.CONSTITUTIONAL_REFORM, "Constitutional reform"),
    "TjGen": (C.TRANSITIONAL_JUSTICE, "Transitional justice"),
    "TjMech": (C.TRANSITIONAL_JUSTICE, "Transitional justice mechanism"),
    "TjCou": (C.TRANSITIONAL_JUSTICE, "Courts"),
    "TjVic": (C.TRANSITIONAL_JUSTICE, "Victims"),
    "TjMis": (C.TRANSITIONAL_JUSTICE, "Missing persons"),
    "TjRep": (C.TRANSITIONAL_JUSTICE, "Reparations"),
    "TjNR": (C.TRANSITIONAL_JUSTICE, "National reconciliation"),
    "TjVet": (C.TRANSITIONAL_JUSTICE, "Vetting"),
    "TjAm": (C.AMNESTY, "Amnesty"),
    "TjPrire": (C.PRISONER_RELEASE, "Prisoner release"),
    "HrGen": (C.HUMAN_RIGHTS, "Human rights"),
    "HrCp": (C.HUMAN_RIGHTS, "Civil and political rights"),
    "HrSec": (C.HUMAN_RIGHTS, "Socio-economic rights"),
    "HrNi": (C.HUMAN_RIGHTS, "National human rights institution"),
    "HrIi": (C.HUMAN_RIGHTS, "International human rights oversight"),
    "HrCit": (C.HUMAN_RIGHTS, "Citizenship"),
    "Prot": (C.HUMAN_RIGHTS, "Protection measures"),
    "GeWom": (C.GENDER, "Women, girls and gender"),
    "GeLgbti": (C.GENDER, "LGBTI"),
    "GRef": (C.REFUGEES, "Refugees and displaced persons"),
    "Dev": (C.SOCIO_ECONOMIC, "Socio-economic reconstruction"),
    "NEC": (C.SOCIO_ECONOMIC, "National economic plan"),
    "LaRef": (C.NATURAL_RESOURCES, "Land reform"),
    "NatRes": (C.NATURAL_RESOURCES, "Natural resources"),
    "Wat": (C.NATURAL_RESOURCES, "Water"),
    "LaEn": (C.NATURAL_RESOURCES, "Environment"),
    "ImPK": (C.PEACEKEEPING, "International mission or peacekeeping force"),
    "ImE": (C.VERIFICATION, "Enforcement and verification mechanism"),
}

UCDP_TYPES: dict[str, str] = {
    "1": AgreementType.COMPREHENSIVE,
    "2": AgreementType.FRAMEWORK,
    "3": AgreementType.PRE_NEGOTIATION,
}

PAX_STAGES: dict[str, str] = {
    "Pre": AgreementType.PRE_NEGOTIATION,
    "SubPar": AgreementType.FRAMEWORK,
    "SubComp": AgreementType.COMPREHENSIVE,
    "Imp": AgreementType.IMPLEMENTATION,
    "ImpRen": AgreementType.IMPLEMENTATION,
    "Ren": AgreementType.RENEWAL,
    "Cea": AgreementType.CEASEFIRE,
    "Oth": AgreementType.FRAMEWORK,
}
PAX_UNILATERAL_STATUS = "unilateral document"

# Well-known international and regional bodies: the name the party gets, its aliases, its kind.
# Used to de-duplicate "UN" / "United Nations" and to find mediators in free text.
INTERNATIONAL_BODIES: list[tuple[str, tuple[str, ...], str]] = [
    ("United Nations", ("UN", "U.N.", "Nations Unies", "Naciones Unidas", "ONU", "United Nations Organization"),
     "international_organisation"),
    ("African Union", ("AU", "Union africaine"), "regional_organisation"),
    ("Organisation of African Unity", ("OAU", "Organization of African Unity"), "regional_organisation"),
    ("European Union", ("EU", "Union européenne"), "regional_organisation"),
    ("Economic Community of West African States", ("ECOWAS", "CEDEAO"), "regional_organisation"),
    ("Economic Community of Central African States", ("ECCAS", "CEEAC"), "regional_organisation"),
    ("Intergovernmental Authority on Development", ("IGAD",), "regional_organisation"),
    ("Southern African Development Community", ("SADC",), "regional_organisation"),
    ("Organization for Security and Co-operation in Europe",
     ("OSCE", "CSCE", "Organisation for Security and Cooperation in Europe",
      "Organisation of Security and Cooperation in Europe", "Organization for Security and Cooperation in Europe"),
     "regional_organisation"),
    ("International Conference on the Great Lakes Region", ("ICGLR",), "regional_organisation"),
    ("Community of Sahel-Saharan States", ("CEN-SAD",), "regional_organisation"),
    ("Organisation of Islamic Cooperation", ("OIC", "Organization of the Islamic Conference"),
     "international_organisation"),
    ("Organisation internationale de la Francophonie", ("International Organisation of La Francophonie", "OIF"),
     "international_organisation"),
    ("League of Arab States", ("Arab League",), "regional_organisation"),
    ("Organization of American States", ("OAS", "OEA"), "regional_organisation"),
    ("Association of Southeast Asian Nations", ("ASEAN",), "regional_organisation"),
    ("North Atlantic Treaty Organization", ("NATO", "OTAN"), "international_organisation"),
    ("Commonwealth of Independent States", ("CIS",), "regional_organisation"),
    ("MONUC", ("United Nations Organization Mission in the Democratic Republic of the Congo",),
     "international_organisation"),
    ("MINUSCA", (), "international_organisation"),
    ("Community of Sant'Egidio", ("Sant'Egidio", "Saint Egidio", "Sant Egidio"), "ngo"),
    ("Centre for Humanitarian Dialogue", ("Henry Dunant Centre for Human Dialogue", "HD Centre"), "ngo"),
]

# Country names as the datasets spell them, where django-countries does not know the spelling.
COUNTRY_NAMES: dict[str, str] = {
    "bosnia-herzegovina": "BA",
    "dr congo": "CD",
    "zaire": "CD",
    "ivory coast": "CI",
    "cote d'ivoire": "CI",
    "burma": "MM",
    "kampuchea": "KH",
    "soviet union": "RU",
    "yugoslavia": "RS",
    "serbia (yugoslavia)": "RS",
    "north yemen": "YE",
    "south yemen": "YE",
    "usa": "US",
    "united states": "US",
    "united states of america": "US",
    "uk": "GB",
    "great britain": "GB",
    "fyr macedonia": "MK",
    "macedonia": "MK",
    "macedonia, fyr": "MK",
    "czech republic": "CZ",
    "the gambia": "GM",
    "russian federation": "RU",
    "ussr": "RU",
    "us": "US",
    "kyrgyz republic": "KG",
    "united kingdom of great britain and northern ireland": "GB",
    "french republic": "FR",
    "union of soviet socialist republics": "RU",
    "east timor": "TL",
    "swaziland": "SZ",
    "cape verde": "CV",
    "republic of congo": "CG",
    "congo-brazzaville": "CG",
    "democratic republic of congo": "CD",
    "democratic republic of the congo": "CD",
    "rhodesia": "ZW",
    "zimbabwe (rhodesia)": "ZW",
    "south vietnam": "VN",
    "north vietnam": "VN",
}

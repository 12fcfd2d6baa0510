"""Event triggers, types and roles on sentences written for the case (not from the seeds)."""
from __future__ import annotations

import pytest

from extract.pipeline import process_article
from extract.reader import Article, ArticleMeta


def events(nlp, text):
    article = Article(id="t", path=None, text=text, sha256="0" * 64, meta=ArticleMeta(id="t"))
    return process_article(nlp, article).events


def labels(refs):
    return [r.label_en or r.label_ar for r in refs]


@pytest.mark.parametrize("text,etype,agents,targets,places", [
    # VSO
    ("قصفت القوات الحكومية بلدة كفرنبل بالمدفعية.", "Shelling", ["Syrian government forces"], [], ["Kafr Nabl"]),
    # SVO with clitic on the name
    ("وقسد سيطرت على بلدة الشعفة.", "TerritorialGain", ["Syrian Democratic Forces"], [], ["Al-Sha'afah"]),
    # idafa: masdar + agent, then a prepositional target
    ("وتواصلت مداهمات هيئة تحرير الشام لمقرات حراس الدين في سرمدا.", "Raid", ["Hayat Tahrir al-Sham"], ["Hurras al-Din"], ["Sarmada"]),
    # relative frame naming the agent after a noun trigger
    ("سقط قتلى في غارات نفذها التحالف الدولي على الميادين.", "Airstrike", ["International Coalition"], [], ["Mayadin"]),
    # air cue turns قصف into an airstrike
    ("قصفت الطائرات الروسية مواقع لهيئة تحرير الشام في جسر الشغور.", "Airstrike", ["Russia"], ["Hayat Tahrir al-Sham"], ["Jisr al-Shughur"]),
    # clash between two sides
    ("اندلعت اشتباكات بين قوات النظام وتنظيم داعش في البادية السورية.", "ArmedClash", ["Syrian government forces", "Islamic State"], [], None),
    # coordinated agents share the role
    ("وجهت بريطانيا وفرنسا والولايات المتحدة ضربات جوية لمواقع في حمص.", "Airstrike", ["United Kingdom", "France", "United States"], None, None),
    # «مع»: the other side of the clash is the subject
    ("خاضت فصائل الجيش الوطني معارك مع قوات سوريا الديمقراطية قرب منبج.", "ArmedClash", ["Syrian National Army", "Syrian Democratic Forces"], [], None),
    # loss verb: the subject is the one who loses
    ("وخسر تنظيم داعش مدينة الرقة.", "TerritorialGain", [], ["Islamic State"], ["Raqqa"]),
    # relative frame whose agent sits behind a head noun: «هجوم شنه عناصر تنظيم داعش»
    ("قتل سبعة جنود في هجوم شنه عناصر تنظيم داعش على مواقعهم في بادية الميادين.", "Attack", ["Islamic State"], [], None),
    # a nisba after the trigger names the attacker; «X بريف Y» keeps only X
    ("استهدفت غارات إسرائيلية مواقع قرب مطار دمشق الدولي.", "Airstrike", ["Israel"], [], None),
    ("سيطرت الفصائل على قرية الدبس في ريف الرقة الشمالي.", "TerritorialGain", None, None, ["الدبس"]),
    ("ودانت الخارجية الإيرانية الهجوم على القنصلية.", "Condemnation", ["Iranian Foreign Ministry"], None, None),
    # who foiled an attack was its target
    ("أحبطت القوات الحكومية هجوماً شنه مقاتلو هيئة تحرير الشام على مواقعها.", "Attack", ["Hayat Tahrir al-Sham"], ["Syrian government forces"], None),
    # a partitive subject: «وحدات من الجيش»
    ("استعادت وحدات من الجيش العربي السوري السيطرة على بلدة كفرنبل.", "TerritorialGain", ["Syrian government forces"], None, None),
    # a nisba after two adjectives, one with a shadda
    ("شنّت طائرات حربية ومسيّرة إسرائيلية غارات على ريف حمص.", "Airstrike", ["Israel"], None, None),
    # لـ + actor right after an attack masdar is its doer
    ("تزامن ذلك مع قصف مدفعي لقوات النظام على أطراف سراقب.", "Shelling", ["Syrian government forces"], None, None),
    # the بـ-object of a condemnation is not done by the one condemning
    ("ونددت وزارة الخارجية التركية بالغارات على إدلب.", "Airstrike", [], None, None),
    # a subjectless verb joined to the event before it has that event's doer
    ("نفذت قوى الأمن الداخلي حملة دهم وتفتيش في ذيبان، اعتقلت خلالها سبعة أشخاص.", "Arrest", ["Asayish"], None, None),
    # the actor an operation was carried out with is a doer too; «المدعومة من» only describes
    ("سيطرت قوات النظام بدعم من الطيران الروسي على بلدة كفرنبل.", "TerritorialGain",
     ["Syrian government forces", "Russia"], None, None),
    ("سيطرت قوات سوريا الديمقراطية المدعومة من التحالف الدولي على بلدة هجين.", "TerritorialGain",
     ["Syrian Democratic Forces"], None, None),
    # the sides named later in the clause, after a date
    ("وكانت اشتباكات عنيفة اندلعت، في 29 من تموز، بين مقاتلين محليين وقوات الفرقة الرابعة.", "ArmedClash",
     ["Fourth Division"], None, None),
    # a dateline is where the report is from, not who acted
    ("سوريا.. 6 قتلى بانفجار سيارة مفخخة في مدينة الباب", "Attack", [], None, ["Al-Bab"]),
    # arrests with a count
    ("اعتقلت قوات الأمن التركية 20 شخصاً يشتبه بانتمائهم لتنظيم داعش.", "Arrest", ["Turkey"], None, None),
])
def test_roles(nlp, text, etype, agents, targets, places):
    found = [e for e in events(nlp, text) if e.type == etype]
    assert found, [(e.type, e.trigger) for e in events(nlp, text)]
    event = found[0]
    if agents is not None:
        assert labels(event.agents) == agents
    if targets is not None:
        assert labels(event.targets) == targets
    if places is not None:
        assert labels(event.places) == places


@pytest.mark.parametrize("text,etype,certainty", [
    ("قصفت الطائرات مواقع التنظيم في دير الزور.", "Airstrike", "asserted"),
    ("ربما قصفت الطائرات مواقع التنظيم في دير الزور.", "Airstrike", "uncertain"),
    ("سيواصل التحالف قصف مواقع التنظيم.", "Airstrike", "uncertain"),
    ("نفت وزارة الدفاع الروسية أن تكون طائراتها قصفت المستشفى.", "Airstrike", "negated"),
    ("لم تشن الطائرات أي غارات على المدينة.", "Airstrike", "negated"),
    ("ولا يزال التنظيم يشن هجمات عكسية.", "Attack", "asserted"),     # لا يزال = still, not a negation
    ("هناك وحدة خاصة لإجلاء المدنيين في حال تبين وجودهم.", "Evacuation", "uncertain"),   # a condition after the event
    ("لوّح الرئيس التركي بإطلاق عملية برية ضد قوات سوريا الديمقراطية.", "Attack", "uncertain"),   # a threat
    ("غادرت عشرات العائلات مخيم الهول صباح اليوم.", "Evacuation", "asserted"),
])
def test_certainty(nlp, text, etype, certainty):
    found = [e for e in events(nlp, text) if e.type == etype]
    assert found and found[0].certainty == certainty, [(e.type, e.certainty) for e in events(nlp, text)]


@pytest.mark.parametrize("text", [
    "وتقع المدينة في مناطق سيطرة فصائل المعارضة.",             # a state, not a capture
    "الإدارة الذاتية التي تسيطر على شمال شرق سوريا.",
    "قال قائد هيئة تحرير الشام إن الوضع هادئ.",                 # تحرير inside a name
])
def test_no_event(nlp, text):
    assert [e.type for e in events(nlp, text) if e.type in ("TerritorialGain", "HostageRelease")] == []


@pytest.mark.parametrize("text", [
    "وضبطت الدورية أسلحة خفيفة وعبوات ناسفة معدّة للتفجير داخل منزل.",     # explosives seized
    "وبدأت فرق الهندسة تمشيط البلدة لإزالة الألغام والعبوات الناسفة.",      # explosives cleared
    "هاجم المسلحون الحاجز ثم لاذوا بالفرار باتجاه البادية.",                # attackers getting away
    "توقف القتال أسبوعاً للسماح للمدنيين بالفرار من البلدة.",               # a purpose, not a flight
])
def test_not_an_attack_or_an_evacuation(nlp, text):
    found = [e for e in events(nlp, text) if e.type == "Evacuation" or (e.type == "Attack" and "عبوات" in e.trigger)]
    assert found == []


@pytest.mark.parametrize("text,etype", [
    ("قتل ستة أشخاص بانفجار سيارة مفخخة في مدينة الباب.", "Attack"),                       # a parked car bomb
    ("قتل ستة أشخاص بانفجار سيارة مفخخة يقودها انتحاري في مدينة الباب.", "SuicideBombing"),  # a suicide bomber drove it
])
def test_car_bomb_type(nlp, text, etype):
    assert etype in [e.type for e in events(nlp, text)]


@pytest.mark.parametrize("text,etype", [
    ("أطلقت تركيا عملية عسكرية ضد وحدات حماية الشعب في عفرين.", "Attack"),
    ("وأعلن الجيش إطلاق عملية لملاحقة خلايا التنظيم في البادية.", "Attack"),
])
def test_launching_an_operation(nlp, text, etype):
    assert etype in [e.type for e in events(nlp, text)]


def test_casualties_attach_to_the_bombing(nlp):
    found = events(nlp, "قتل 12 شخصاً على الأقل وأصيب 30 آخرون في تفجير انتحاري استهدف سوقاً في مدينة أعزاز.")
    bombing = [e for e in found if e.type == "SuicideBombing"]
    assert bombing and bombing[0].killed == 12 and labels(bombing[0].places) == ["Azaz"]
    assert not [e for e in found if e.type == "Killing"]


def test_hostage_release(nlp):
    found = events(nlp, "أعلنت الفصائل تحرير ثلاث نساء وأربعة أطفال كانوا محتجزين لدى التنظيم.")
    release = [e for e in found if e.type == "HostageRelease"]
    assert release and release[0].count == 7


def test_evidence_offsets_slice_the_text(nlp):
    text = "قال المرصد إن «قسد» سيطرت، أمس، على بلدة الباغوز بعد اشتباكات مع داعش."
    for event in events(nlp, text):
        for anchor in (event.evidence, *event.more_evidence):
            assert text[anchor.start:anchor.end] == anchor.text


def test_both_sides_are_the_last_fight(nlp):
    found = events(nlp, "أحبطت القوات الحكومية هجوماً شنه مقاتلو هيئة تحرير الشام. "
                        "ودارت اشتباكات عنيفة بين الطرفين في ريف إدلب.")
    clash = [e for e in found if e.type == "ArmedClash"]
    assert clash and set(labels(clash[0].agents)) == {"Hayat Tahrir al-Sham", "Syrian government forces"}


def test_a_second_sources_toll_belongs_to_the_attack(nlp):
    found = events(nlp, "قتل ثلاثة عناصر من قسد بهجوم على حاجز في بلدة ذيبان، بحسب مصدر عسكري. "
                        "في المقابل، ذكر المرصد السوري لحقوق الإنسان أن حصيلة القتلى بلغت خمسة عناصر.")
    assert [e.type for e in found] == ["Attack"]
    figures = sorted(c.killed for c in found[0].claims if c.killed is not None)
    assert figures == [3, 5]


def test_a_definite_attack_noun_refers_back(nlp):
    found = events(nlp, "قتل ستة مدنيين بانفجار سيارة مفخخة وسط سوق في مدينة الباب. وقالت الشرطة إنها ألقت القبض "
                        "على شخصين. واتهمت وزارة الدفاع التركية وحدات حماية الشعب بالوقوف وراء التفجير.")
    assert [e.type for e in found if e.type in ("Attack", "SuicideBombing")] == ["Attack"]


def test_a_denial_joins_the_attack_without_making_the_denier_its_doer(nlp):
    found = events(nlp, "قتل ستة مدنيين بانفجار سيارة مفخخة وسط سوق في مدينة الباب. "
                        "ونفت قوات سوريا الديمقراطية في بيان مسؤوليتها عن التفجير.")
    attacks = [e for e in found if e.type == "Attack"]
    assert len(attacks) == 1 and attacks[0].certainty == "asserted"
    assert "Syrian Democratic Forces" not in labels(attacks[0].agents)
    assert any(c.certainty == "negated" for c in attacks[0].claims)


def test_an_indefinite_clash_with_nobody_named_is_still_an_event(nlp):
    found = events(nlp, "هاجم مسلحون حاجزاً في بلدة ذيبان، واشتبكوا مع عناصره لنحو نصف ساعة.")
    assert "ArmedClash" in [e.type for e in found]


def test_the_two_sides_of_a_raid(nlp):
    found = events(nlp, "شنت هيئة تحرير الشام مداهمات على مقرات لتنظيم حراس الدين في بلدة أرمناز. "
                        "ورافقت المداهمات اشتباكات متقطعة بين الطرفين.")
    clash = [e for e in found if e.type == "ArmedClash"]
    assert clash and sorted(labels(clash[0].agents + clash[0].targets)) == ["Hayat Tahrir al-Sham", "Hurras al-Din"]


def test_a_definite_clash_noun_is_the_fighting_already_reported(nlp):
    found = events(nlp, "اندلعت اشتباكات عنيفة بين قسد وتنظيم داعش في بلدة هجين. "
                        "وذكر مصدر عسكري أن القتال استمر أمس، وأن المعركة الحاسمة لم تنته بعد.")
    assert [e.type for e in found].count("ArmedClash") == 1


def test_a_country_wide_figure_is_not_the_towns_evacuation(nlp):
    found = events(nlp, "وقال بالي إن قواتنا استكملت إجلاء المدنيين من بلدة الباغوز. "
                        "وبحسب المرصد السوري لحقوق الإنسان، خرج نحو 52 ألف شخص منذ كانون الأول من مناطق سيطرة التنظيم في سوريا.")
    assert [e.type for e in found].count("Evacuation") == 2


@pytest.mark.parametrize("text,etype", [
    ("عثرت الدورية على عبوات ناسفة معدّة للتفجير داخل منزل مهجور.", "Attack"),          # prepared, not set off
    ("اعتقلت الشرطة شخصين بتهمة نقل سيارة مفخخة إلى المدينة.", "Attack"),                # moved, not set off
    ("اعتقلت القوات عشرة أشخاص بينهم ثلاثة من المسؤولين عن عمليات القتل.", "Killing"),   # those responsible
])
def test_no_event_of_this_type(nlp, text, etype):
    assert etype not in [e.type for e in events(nlp, text)]


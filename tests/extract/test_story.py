"""Where events happen when the sentence does not say: place descriptions, the clause's far
end, the story's town, headings — on short articles written for the case."""
from __future__ import annotations

import pytest

from extract.pipeline import process_article
from extract.reader import Article, ArticleMeta


def events(nlp, text):
    article = Article(id="t", path=None, text=text, sha256="0" * 64, meta=ArticleMeta(id="t"))
    return process_article(nlp, article).events


def places_of(nlp, text, etype):
    found = [e for e in events(nlp, text) if e.type == etype]
    assert found, [(e.type, e.trigger) for e in events(nlp, text)]
    return [p.label_en or p.label_ar for p in found[0].places]


@pytest.mark.parametrize("text,etype,places", [
    # a definite place noun stands for the town named before it
    ("دخلت قوات النظام خان شيخون صباح الأحد، وقصفت الطائرات الروسية مواقع المعارضة في البلدة.", "Airstrike", ["Khan Shaykhun"]),
    ("وصلت قوافل المساعدات إلى مخيم الركبان، ثم اندلعت اشتباكات داخل المخيم بين الحراس.", "ArmedClash", ["Rukban camp"]),
    # the place may come late in the clause, after a date and an object
    ("وشهدت الاشتباكات التي اندلعت بين الطرفين، الليلة الماضية، إطلاقاً كثيفاً للنار من الأسلحة المتوسطة في مدينة منبج.",
     "ArmedClash", ["Manbij"]),
])
def test_place_in_the_sentence(nlp, text, etype, places):
    assert places_of(nlp, text, etype) == places


HAJIN_STORY = (
    "قالت قوات سوريا الديمقراطية إنها سيطرت على أجزاء من بلدة هجين بعد معارك عنيفة مع تنظيم داعش.\n"
    "وأضافت أن مقاتليها صدوا هجوماً شنه التنظيم على مواقعها في هجين فجر الاثنين.\n"
    "وقال المرصد السوري إن طائرات التحالف الدولي شنت غارات مكثفة على مواقع التنظيم، "
    "فيما جرى إجلاء مئات المدنيين خلال اليومين الماضيين.\n"
    "وفي سياق منفصل، قصفت الطائرات التركية مواقع لحزب العمال الكردستاني.\n"
)


def test_a_place_noun_does_not_stand_for_a_place_of_another_kind(nlp):
    article = Article(id="t", path=None, text="سيطرت الفصائل على قرية الدبس، ثم دخلت المدينة.", sha256="0" * 64,
                      meta=ArticleMeta(id="t"))
    mentions = process_article(nlp, article).mentions
    assert [m.text for m in mentions if m.entity.type == "Place"] == ["الدبس"]


def test_story_town_places_unlocated_events(nlp):
    found = events(nlp, HAJIN_STORY)
    strike = next(e for e in found if e.type == "Airstrike" and e.agents[0].label_en == "International Coalition")
    assert [p.label_en for p in strike.places] == ["Hajin"]
    assert strike.place_inferred
    evacuation = next(e for e in found if e.type == "Evacuation")
    assert [p.label_en for p in evacuation.places] == ["Hajin"]


def test_side_story_is_not_placed_in_the_story_town(nlp):
    turkish = [e for e in events(nlp, HAJIN_STORY) if any(a.label_en == "Turkey" for a in e.agents)]
    assert turkish and all(not e.places for e in turkish)


def test_no_story_place_without_a_dominant_town(nlp):
    text = ("قصفت القوات الحكومية بلدة كفرنبل بالمدفعية.\n"
            "وسيطرت الفصائل على قرية الدبس في ريف الرقة.\n"
            "وشنت طائرات التحالف غارات على مواقع التنظيم.\n")
    strikes = [e for e in events(nlp, text) if e.type == "Airstrike"]
    assert strikes and not strikes[0].places


def test_a_heading_starts_a_new_story(nlp):
    text = ("معارك منبج\n\n"
            "اندلعت اشتباكات بين مجلس منبج العسكري وفصائل الجيش الوطني في منبج.\n"
            "وقصفت الفصائل قرى في محيط منبج، وقالت مصادر إن الاشتباكات تجددت في منبج مساء.\n\n"
            "غارات على إدلب\n\n"
            "وشنت طائرات روسية غارات على مواقع هيئة تحرير الشام.\n")
    strikes = [e for e in events(nlp, text) if e.type == "Airstrike"]
    assert strikes and not strikes[0].places


def test_a_direction_of_the_country_is_refined_to_the_story_town(nlp):
    text = ("أعلنت قوات سوريا الديمقراطية بدء هجومها على آخر جيب للتنظيم في شرق سوريا.\n"
            "وقالت إن مقاتليها سيطروا على مواقع في بلدة هجين، وإن المعارك تدور في هجين منذ الصباح.\n")
    attack = [e for e in events(nlp, text) if e.type == "Attack"]
    assert attack and [p.label_en for p in attack[0].places] == ["Hajin"]


@pytest.mark.parametrize("text,etype,places", [
    # a spot inside a named town gives way to the town
    ("قتل ستة مدنيين بانفجار سيارة مفخخة قرب دوار السنتر في مدينة الباب.", "Attack", ["Al-Bab"]),
    # a mosque whose town the gazetteer knows
    ("أعدم التنظيم عشرة من عناصره بالقرب من مسجد التوحيد.", "Execution", ["Sheikh Hamad"]),
    # a spot whose town is unknown stays
    ("انفجرت عبوة ناسفة قرب دوار السنتر صباح اليوم.", "Attack", ["دوار السنتر"]),
])
def test_events_are_placed_at_the_level_of_a_settlement(nlp, text, etype, places):
    assert places_of(nlp, text, etype) == places


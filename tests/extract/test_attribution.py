"""Attribution: speaker, channel, continuation, source prepositions, the article's voice."""
from __future__ import annotations

import pytest

from extract.pipeline import process_article
from extract.reader import Article, ArticleMeta


def record(nlp, text, outlet=None):
    meta = ArticleMeta(id="t", outlet=outlet)
    return process_article(nlp, Article(id="t", path=None, text=text, sha256="0" * 64, meta=meta))


def sources(event):
    return [s.entity.label_en or s.entity.label_ar for s in event.sources]


@pytest.mark.parametrize("text,event_type,source", [
    ("قال المرصد السوري لحقوق الإنسان إن الطائرات الروسية قصفت بلدة كفرنبل.", "Airstrike", "Syrian Observatory for Human Rights"),
    ("وأفادت وكالة سانا بأن القوات الحكومية سيطرت على بلدة اللطامنة.", "TerritorialGain", "SANA"),
    ("سيطرت القوات التركية على بلدة رأس العين، بحسب المرصد السوري لحقوق الإنسان.", "TerritorialGain", "Syrian Observatory for Human Rights"),
    ("ونقلت رويترز عن مصدر أن تنظيم داعش أعدم عشرة أشخاص.", "Execution", "Reuters"),
    # an unnamed member speaks for their body
    ("وقال مصدر عسكري في قوات سوريا الديمقراطية لنورث برس إن مسلحين هاجموا حاجزاً في بلدة ذيبان.", "Attack",
     "Syrian Democratic Forces"),
    ("وأكد قيادي في الجيش الوطني السوري أن الفصائل سيطرت على قرية عون الدادات.", "TerritorialGain", "Syrian National Army"),
])
def test_speaker_is_the_source(nlp, text, event_type, source):
    events = [e for e in record(nlp, text).events if e.type == event_type]
    assert events and source in sources(events[0]), [(e.type, sources(e)) for e in record(nlp, text).events]


def test_channel_is_not_the_speaker(nlp):
    rec = record(nlp, "وقال مصطفى بالي لرويترز إن قوات سوريا الديمقراطية سيطرت على قرية الشعفة.")
    gain = [e for e in rec.events if e.type == "TerritorialGain"][0]
    assert sources(gain) == ["Mustafa Bali"]
    assert gain.sources[0].channel is not None and gain.sources[0].channel.label_en == "Reuters"


def test_continuation_keeps_the_speaker(nlp):
    rec = record(nlp, "وقال الناطق باسم التحالف شون رايان إن الطائرات قصفت مواقع التنظيم. "
                      "وأضاف أن التنظيم شن هجمات مضادة على قوات سوريا الديمقراطية.")
    attack = [e for e in rec.events if e.type == "Attack"][0]
    assert sources(attack) == ["Sean Ryan"]


def test_own_voice_is_the_outlet(nlp):
    rec = record(nlp, "قصفت القوات الحكومية مواقع الفصائل في ريف إدلب.", outlet="Al-Liwaa")
    shelling = [e for e in rec.events if e.type == "Shelling"][0]
    assert sources(shelling) == ["Al-Liwaa"] and shelling.sources[0].voice


def test_own_voice_without_outlet_has_no_source(nlp):
    rec = record(nlp, "قصفت القوات الحكومية مواقع الفصائل في ريف إدلب.")
    assert [e.sources for e in rec.events if e.type == "Shelling"] == [()]


def test_condemnation_is_its_authors_statement(nlp):
    rec = record(nlp, "نددت وزارة الخارجية التركية بالهجوم على مدينة عفرين.")
    condemnation = [e for e in rec.events if e.type == "Condemnation"][0]
    assert sources(condemnation) == [condemnation.agents[0].label_en or condemnation.agents[0].label_ar]


def test_an_actor_after_a_preposition_is_not_the_speaker(nlp):
    text = "وتوقع القائد العام لقوات سوريا الديمقراطية مظلوم عبدي إعلان النصر على تنظيم داعش خلال أسبوع، وقال إن قواته سيطرت على بلدة الباغوز."
    gains = [e for e in record(nlp, text).events if e.type == "TerritorialGain"]
    assert gains and "Islamic State" not in [s for e in gains for s in sources(e)]



def test_a_headline_is_not_the_outlets_own_statement(nlp):
    text = ("قسد تسيطر على بلدة هجين\n\n"
            "قال المتحدث باسم قوات سوريا الديمقراطية مصطفى بالي إن قواته سيطرت على بلدة هجين بعد معارك عنيفة.\n")
    gains = [e for e in record(nlp, text, outlet="Enab Baladi").events if e.type == "TerritorialGain"]
    assert gains and "Enab Baladi" not in sources(gains[0])
    assert "Mustafa Bali" in sources(gains[0])

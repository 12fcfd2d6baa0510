"""Records → triples: what the graph says about where an event happened."""
from __future__ import annotations

from rdflib import Literal

from extract.pipeline import process_article
from extract.reader import Article, ArticleMeta
from graph.rdf import event_triples
from ontology import vocabulary

STORY = ("قالت قوات سوريا الديمقراطية إنها سيطرت على أجزاء من بلدة هجين بعد معارك عنيفة مع تنظيم داعش.\n"
         "وأضافت أن مقاتليها صدوا هجوماً شنه التنظيم على مواقعها في هجين فجر الاثنين.\n"
         "وقال المرصد السوري إن طائرات التحالف الدولي شنت غارات مكثفة على مواقع التنظيم.\n")


def test_an_inferred_place_is_marked_and_a_stated_one_is_not(nlp):
    ekg = vocabulary().ekg
    record = process_article(nlp, Article(id="t", path=None, text=STORY, sha256="0" * 64, meta=ArticleMeta(id="t")))
    marks = {}
    for event in record.events:
        triples = list(event_triples(record.id, event))
        marks[event.type] = any(p == ekg.placeInferred and o == Literal(True) for _, p, o in triples)
    assert marks["Airstrike"] is True            # «غارات مكثفة على مواقع التنظيم»: Hajin from the story
    assert marks["TerritorialGain"] is False     # «على أجزاء من بلدة هجين»: stated

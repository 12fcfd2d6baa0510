"""Numbers, bounds, ranges, categories and casualty roles."""
from __future__ import annotations

import pytest


def quantities(doc):
    return [(s.label_, s._.value["value"], s._.value["bound"]) for s in doc.spans["quantities"]]


@pytest.mark.parametrize("text,role,value,bound", [
    ("قتل 12 مدنياً في الغارة", "killed", 12, None),
    ("قتل ما لا يقل عن 30 شخصاً", "killed", 30, "at_least"),
    ("سقط ثمانية قتلى على الأقل", "killed", 8, "at_least"),
    ("أصيب ١٥ مدنياً بجروح", "injured", 15, None),
    ("و22 جريحاً", "injured", 22, None),
    ("اعتقلت القوات أكثر من 100 شخص", "count", 100, "more_than"),
    ("استسلم ثلاثة آلاف مقاتل", "count", 3000, None),
    ("فر نحو 52 ألف شخص", "count", 52000, "about"),
    ("جرى إجلاء أكثر من 20 ألفا من المدنيين", "count", 20000, "more_than"),
    ("ما بين 400 و600 مقاتل", "count", 400, "range"),
    ("سقط 70 مدنياً بين قتيل وجريح", "casualties", 70, None),
    ("اعتقلت القوات 12 شاباً من البلدة", "count", 12, None),
    ("أعلنت الوزارة إعدام شخصين", "count", 2, None),
])
def test_quantity(doc_of, text, role, value, bound):
    assert (role, value, bound) in quantities(doc_of(text)), quantities(doc_of(text))


def test_coordinated_counts_are_summed(doc_of):
    found = quantities(doc_of("ألقت الشرطة القبض على أربعة أشخاص وسبعة أطفال وثلاث نساء"))
    assert ("count", 14, None) in found, found


@pytest.mark.parametrize("text", ["اعتقلت القوات العشرات من العناصر", "نزح آلاف المدنيين"])
def test_vague_amounts_have_no_value(doc_of, text):
    assert all(v is None for _, v, _ in quantities(doc_of(text)))


def test_years_and_times_are_not_counts(doc_of):
    assert quantities(doc_of("بدأ الهجوم عند الساعة السادسة (16.00 ت غ) في عام 2014")) == []

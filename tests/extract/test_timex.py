"""Dates resolved against the published date; both month systems; no date rather than a wrong one."""
from __future__ import annotations

import datetime as dt

import pytest

PUBLISHED = dt.date(2019, 3, 14)   # a Thursday


def dates(doc):
    return [(s.text, s._.value) for s in doc.spans["timex"] if s.label_ == "date"]


@pytest.mark.parametrize("text,value", [
    ("قصفت الطائرات أمس مواقع", "2019-03-13"),
    ("وقعت الاشتباكات أمس الأول", "2019-03-12"),
    ("قصفت القوات الليلة قبل الماضية مواقع", "2019-03-12"),
    ("بدأ الهجوم يوم السبت", "2019-03-09"),
    ("أعدم التنظيم، أمس الأربعاء، عشرة عناصر", "2019-03-13"),
    ("في 5 آذار 2018 قصفت الطائرات", "2018-03-05"),
    ("في 12 كانون الأول قصفت الطائرات", "2018-12-12"),     # no year: the last such day before publication
    ("في 3 فبراير / شباط قصفت الطائرات", "2019-02-03"),
    ("في السابع من نيسان عام 2018", "2018-04-07"),
    ("في ١٠ مارس ٢٠١٩", "2019-03-10"),
    ("اندلعت الاشتباكات في 29 من شباط 2016", "2016-02-29"),    # «day من month»
    ("اندلعت الاشتباكات في 11 من كانون الثاني", "2019-01-11"),
])
def test_dates(doc_of, text, value):
    assert value in [v for _, v in dates(doc_of(text, PUBLISHED))], dates(doc_of(text, PUBLISHED))


@pytest.mark.parametrize("text", [
    "قصفت الطائرات أمس الإثنين مواقع",     # أمس was a Wednesday: contradiction → no date
    "خرج الآلاف منذ 20 شباط",               # a start point, not the event's date
    "سيطر التنظيم على المدينة في نيسان 2018",  # month only
])
def test_no_wrong_date(doc_of, text):
    assert dates(doc_of(text, PUBLISHED)) == []


def test_relative_date_needs_publication(doc_of):
    assert dates(doc_of("قصفت الطائرات أمس مواقع", None)) == []


def test_dateline_gives_published(doc_of):
    doc = doc_of("تقدم للقوات\n\n13 فبراير 2019\n\nقصفت الطائرات أمس مواقع التنظيم", None)
    assert doc._.published == dt.date(2019, 2, 13)
    assert ("أمس", "2019-02-12") in dates(doc)

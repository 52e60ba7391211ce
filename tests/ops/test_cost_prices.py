"""The shipped price file: loads, and every figure says where it came from and when."""

from __future__ import annotations

from datetime import date

from tools.ops.cost.pricebook import DEFAULT_PRICE_FILE, load_price_book


def test_every_price_names_an_aws_pricing_page_and_a_check_date() -> None:
    book = load_price_book(DEFAULT_PRICE_FILE)
    prices = {**book.prices.__dict__, **book.docdb_instance_hour}

    assert book.region == "us-east-1"
    for name, price in prices.items():
        assert price.source.host == "aws.amazon.com", name
        assert date(2025, 1, 1) <= price.checked <= date.today(), name
        assert price.usd > 0, name


def test_free_types_each_carry_a_source_and_a_reason() -> None:
    book = load_price_book(DEFAULT_PRICE_FILE)

    assert book.free, "the free list must not be empty"
    for resource_type, entry in book.free.items():
        assert entry.source.host == "aws.amazon.com", resource_type
        assert len(entry.note) > 20, resource_type


def test_free_list_matches_patterns_and_exact_types() -> None:
    book = load_price_book(DEFAULT_PRICE_FILE)

    assert book.free_type("AWS::IAM::Role") is not None
    assert book.free_type("Custom::LogRetention") is not None  # via "Custom::*"
    assert book.free_type("AWS::EC2::NatGateway") is None  # priced, never free

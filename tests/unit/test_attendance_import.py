"""Reading a meeting tool's participant list: the e-mail addresses in it, as they come."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.attendance import emails_in


def test_zoom_list_with_an_email_column(tmp_path: Path) -> None:
    listing = tmp_path / "zoom.csv"
    listing.write_text(
        "Name (Original Name),User Email,Join Time\nAnn,ann@example.org,x\nBo,,y\n"
        "Cas,CAS@Example.org,z\n",
        encoding="utf-8",
    )
    assert emails_in(listing) == {"ann@example.org", "CAS@Example.org"}


def test_teams_list_in_utf16_with_tabs_even_without_a_byte_order_mark(tmp_path: Path) -> None:
    listing = tmp_path / "teams.csv"
    text = "Full Name\tUser Action\tEmail\nAnn Ålström\tJoined\tann@example.org\n"
    listing.write_bytes(text.encode("utf-16-le"))
    assert emails_in(listing) == {"ann@example.org"}


def test_semicolons_and_names_around_the_address(tmp_path: Path) -> None:
    listing = tmp_path / "meet.csv"
    listing.write_text("Wie;Adres\nAnn;Ann Smith <ann@example.org>\nBea;bea@example.org\n")
    assert emails_in(listing) == {"ann@example.org", "bea@example.org"}


@pytest.mark.parametrize("content", [b"", b"Name,Joined\nAnn,16:00\n", b"not @ an address\n"])
def test_a_list_without_addresses_is_refused(tmp_path: Path, content: bytes) -> None:
    listing = tmp_path / "empty.csv"
    listing.write_bytes(content)
    with pytest.raises(ValueError, match="no e-mail addresses found"):
        emails_in(listing)

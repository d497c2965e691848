"""Browser test of the catalogue: search without diacritics, open a procedure, download a form template."""

import zipfile
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.factories import _load_demo_catalogue


def test_search_open_and_download_a_template(page, tmp_path):
    _load_demo_catalogue()
    page.goto("/procedures/")
    page.fill("input[name=q]", "dang ky khai sinh")
    with page.expect_navigation():
        page.get_by_role("button", name="Tìm kiếm").click()
    first = page.locator(".procedure-result").first
    expect(first.locator("h2 a")).to_have_text("Đăng ký khai sinh")
    expect(first).to_contain_text("1.001193")

    with page.expect_navigation():
        first.locator("h2 a").click()
    expect(page.locator("h1")).to_have_text("Đăng ký khai sinh")
    expect(page.get_by_role("link", name="Nộp hồ sơ trực tuyến")).to_have_attribute("href", "/dossiers/new/1.001193/")
    expect(page.locator("table.documents")).to_contain_text("Giấy chứng sinh")

    with page.expect_download() as download_info:
        page.locator("table.documents a[download]").first.click()
    download = download_info.value
    assert download.suggested_filename == "to-khai-dang-ky-khai-sinh.docx"
    target = Path(tmp_path) / download.suggested_filename
    download.save_as(target)
    with zipfile.ZipFile(target) as docx:
        assert "KHAI SINH" in docx.read("word/document.xml").decode("utf-8")

"""isokpi.safety: user text shown exactly as typed wherever it goes, and never run as markup or a formula."""

from isokpi import safety

RLO = "\u202e"  # right-to-left override
JOINER = safety.WORD_JOINER  # U+2060, invisible


def test_markdown_text_cannot_become_links_images_or_formatting():
    assert safety.plain("[x](http://evil) ![i](http://evil/i.png) **b** :red[x] <b>") == (
        rf"\[x\]\(http\:{JOINER}//evil\) \!\[i\]\(http\:{JOINER}//evil/i\.png\) \*\*b\*\* \:{JOINER}red\[x\] \<b\>"
    )
    assert safety.plain("- item\nnext") == r"\- item next"
    assert safety.plain("1. first") == r"1\. first"


def test_markdown_text_does_not_autolink_bare_addresses():
    # GitHub-flavoured markdown links "www.x.y", "http://x.y" and e-mail addresses without any brackets, escaped
    # or not (tests/browser/test_hardening.py shows it in Streamlit): an invisible word joiner breaks each.
    assert safety.plain("www.evil.example.csv") == rf"www{JOINER}\.evil\.example\.csv"
    assert safety.plain("WWW.evil.example") == rf"WWW{JOINER}\.evil\.example"
    assert safety.plain("ann@example.com") == rf"ann\@{JOINER}example\.com"
    assert safety.plain("see https://evil.example/x") == rf"see https\:{JOINER}//evil\.example/x"
    assert safety.plain("3.5 hours, 12:30") == rf"3\.5 hours, 12\:{JOINER}30"


def test_bidi_overrides_are_dropped_everywhere():
    name = f"invoice{RLO}fdp.exe"
    assert safety.plain(name) == r"invoicefdp\.exe"
    assert safety.plotly_text(name) == "invoicefdp.exe"
    assert safety.spreadsheet_cell(name) == "invoicefdp.exe"
    assert safety.export_text(name) == "invoicefdp.exe"
    assert safety.html_text(name) == "invoicefdp.exe"


def test_plotly_text_is_escaped_once_keeping_our_line_breaks():
    assert safety.plotly_text("<b>R&D</b><br>two") == "&lt;b&gt;R&amp;D&lt;/b&gt;<br>two"
    assert safety.plotly_text(safety.plotly_text("<i>x</i>")) == "&lt;i&gt;x&lt;/i&gt;"
    assert safety.plotly_text("a\nb") == "a b"
    assert safety.plotly_text(3) == 3


def test_cells_and_exports_never_start_a_formula():
    assert [safety.spreadsheet_cell(v) for v in ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "plain", 3]] == [
        "'=1+1",
        "'+SUM(A1)",
        "'-2",
        "'@cmd",
        "'\tx",
        "plain",
        3,
    ]
    assert safety.export_text('ok\n=HYPERLINK("http://x")\x07') == 'ok\n\'=HYPERLINK("http://x")'
    assert safety.export_text(None) == ""
    assert safety.export_text(True) == "yes"
    assert safety.export_text(-3.25) == "\u22123.2"
    assert safety.html_text('<script>"x"</script>') == "&lt;script&gt;&quot;x&quot;&lt;/script&gt;"

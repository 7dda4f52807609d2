from django.template import Context, Template
from django.utils.safestring import SafeString

from core.markdown import render_markdown


def test_markdown_becomes_html():
    html = render_markdown("**Steps**\n\n1. Open\n2. Export")
    assert "<strong>Steps</strong>" in html
    assert "<ol>" in html and "<li>Export</li>" in html


def test_script_tags_are_removed():
    html = render_markdown("Hello <script>alert('x')</script> world")
    assert "<script" not in html
    assert "alert(" not in html


def test_event_handler_attributes_are_removed():
    html = render_markdown('<img src="x" onerror="alert(1)"> <p onclick="steal()">hi</p>')
    assert "onerror" not in html
    assert "onclick" not in html
    assert "alert(1)" not in html


def test_javascript_links_lose_their_target():
    html = render_markdown("[click me](javascript:alert(1)) and <a href=\"JavaScript:alert(2)\">x</a>")
    assert "javascript:" not in html.lower()
    assert "click me" in html


def test_safe_links_are_kept_and_cannot_reach_the_opener():
    html = render_markdown("[docs](https://example.com/help)")
    assert 'href="https://example.com/help"' in html
    assert "noopener" in html


def test_fenced_code_is_escaped_not_run():
    html = render_markdown("```\n<script>alert(1)</script>\n```")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_the_template_filter_renders_the_same_sanitised_html():
    rendered = Template("{% load handoff_tags %}{{ text|markdown }}").render(
        Context({"text": "*hi* <script>x</script>"})
    )
    assert "<em>hi</em>" in rendered and "<script" not in rendered


def test_empty_text_renders_nothing():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""


def test_one_text_leaves_nothing_behind_for_the_next():
    # The parser is reused: a link reference defined in one comment must not resolve in another.
    assert "http://example.com/a" in render_markdown("[a][ref]\n\n[ref]: http://example.com/a")
    assert "http://example.com/a" not in render_markdown("[a][ref]")


def test_a_text_is_converted_once_and_a_long_one_every_time(monkeypatch):
    from core import markdown

    calls = []
    real = markdown._parser
    monkeypatch.setattr(markdown, "_parser", lambda: calls.append(1) or real())
    markdown._render_kept.cache_clear()
    text = "Kept **once** <script>x</script>"

    first, again = render_markdown(text), render_markdown(text)
    assert first == again == "<p>Kept <strong>once</strong> </p>" and len(calls) == 1
    assert isinstance(again, SafeString)

    long_text = "word " * (markdown.KEPT_LENGTH // 5 + 1)
    render_markdown(long_text), render_markdown(long_text)
    assert len(calls) == 3

from core.markdown import mentioned_names, render_markdown
from core.mentions import MAX_MENTIONS


def test_a_mention_is_an_at_sign_and_a_username_not_an_email_address_nor_code():
    text = "Thanks @Alice and @bob.smith! Ask @carol-d, not carol@example.com; `@dave` and\n```\n@erin\n```\n(@frank)."
    assert mentioned_names(text) == ["alice", "bob.smith", "carol-d", "frank"]


def test_each_name_counts_once_and_a_comment_mentions_a_bounded_number():
    assert mentioned_names("@Alice @alice @ALICE") == ["alice"]
    many = " ".join(f"@user{n}" for n in range(MAX_MENTIONS + 5))
    assert len(mentioned_names(many)) == MAX_MENTIONS


def test_a_mention_is_drawn_as_such_and_nothing_else_in_the_comment_is_trusted():
    html = str(render_markdown("Ping @alice_b: see `@code` and [@carol](https://example.com/@dave) __now__"))
    assert '<span class="mention">@alice_b</span>:' in html
    assert "<code>@code</code>" in html
    link = '<a href="https://example.com/@dave" rel="noopener noreferrer nofollow">'
    assert f'{link}<span class="mention">@carol</span></a>' in html
    assert "<strong>now</strong>" in html


def test_a_hand_written_span_keeps_only_the_mention_class_and_no_handler():
    written = '<span class="mention x" style="color:red" onclick="steal()">hi</span> <span class="evil">x</span>'
    html = str(render_markdown(written))
    assert "onclick" not in html and "style" not in html and "evil" not in html and 'class="mention x"' not in html


def test_only_a_name_drawn_as_a_mention_notifies_and_every_drawn_one_does():
    text = (
        "Log:\n\n    ERROR user=@erin denied\n\n"
        "and ``@frank`` and [here](http://example.com/@gina) but ~~~ @hank ~~~ and @ivan"
    )
    drawn = str(render_markdown(text))

    assert mentioned_names(text) == ["hank", "ivan"]
    assert '<span class="mention">@hank</span>' in drawn and '<span class="mention">@erin</span>' not in drawn

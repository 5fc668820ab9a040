"""Files made to hurt the readers: a clear refusal or a skipped item, never a crash, a hang or
memory that grows with the file.

Crashes and memory are measured on a child process reading the file (its exit status and
peak RSS); the refusal messages and skipped items through ``commentsvc import``.
"""

from __future__ import annotations

import re
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from commentsvc.errors import ImportFileError
from commentsvc.extensions import db
from commentsvc.imports import isso
from commentsvc.models import Comment, Thread

ORIGIN = "https://blog.example.org"
MAX_RSS_BYTES = 200 * 1024 * 1024
JSON_HEAD = '{"format": "commentsvc-export", "version": 1, "site": {"name": "old"}, "accounts": [],'
JSON_THREAD = '"threads": [{"key": "t1", "url": "' + ORIGIN + '/p/", "comments": [{"key": "c1", '
HOSTILE_JSON = {
    # yajl2_c killed the process (SIGSEGV) on a number past Python's 4,300-digit int limit.
    "long-number": (JSON_HEAD + JSON_THREAD + '"n": ' + "7" * 5000 + "}]}]}", "18 digits"),
    # ... and raised decimal.InvalidOperation (a traceback) on an exponent Decimal cannot hold.
    "huge-exponent": (JSON_HEAD + JSON_THREAD + '"n": 1E+' + "9" * 21 + "}]}]}", "18 digits"),
    # 40 KB of brackets: ijson's memory grew with depth squared (a gigabyte).
    "deep-nesting": (
        JSON_HEAD + JSON_THREAD + '"n": ' + "[" * 20_000 + "]" * 20_000 + "}]}]}",
        "nests deeper than 64 levels",
    ),
}
READ = """
import re, sys
from pathlib import Path
from commentsvc.errors import ImportFileError
from commentsvc.imports.json_format import read_json
from commentsvc.imports.wordpress import read_wordpress
read = {"json": read_json, "wordpress": read_wordpress}[sys.argv[1]]
with open(sys.argv[2], "rb") as stream:
    try:
        count = sum(1 for _ in read(stream))
    except ImportFileError as error:
        print("refused:", error.detail)
    else:
        print("records:", count)
# This process's own peak (ru_maxrss would count the forking parent's memory too).
print("peak:", re.search(r"VmHWM:\\s*(\\d+) kB", Path("/proc/self/status").read_text())[1])
"""


def read_in_child(kind: str, path: Path) -> tuple[int, str, int]:
    """Read ``path`` as ``kind`` in a child process: its exit code, output and peak RSS (bytes).

    The child's address space is capped at 2 GB and its time at a minute, so that a reader
    gone wrong fails the test instead of the machine."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    child = subprocess.run(
        [sys.executable, "-c", READ, kind, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=cap_memory,
    )
    peak = re.search(r"peak: (\d+)", child.stdout)
    rss = int(peak[1]) * 1024 if peak else sys.maxsize  # no peak printed: no bound kept
    return child.returncode, child.stdout + child.stderr, rss


def skipped(output: str, reason: str) -> int:
    """How many items the summary the CLI printed reports skipped for ``reason``."""
    lines = (line.strip().split("\t", 1) for line in output.splitlines() if "\t" in line)
    return sum(int(count) for count, text in lines if text.endswith(reason))


@pytest.mark.parametrize("name", sorted(HOSTILE_JSON))
def test_a_json_file_made_to_crash_the_parser_is_refused_in_bounded_memory(name, tmp_path) -> None:
    content, message = HOSTILE_JSON[name]
    path = tmp_path / f"{name}.json"
    path.write_text(content)

    code, output, rss = read_in_child("json", path)

    assert code == 0, output
    assert f"refused: The file {'nests' if 'nests' in message else 'has a number'}" in output
    assert message in output
    assert rss < MAX_RSS_BYTES


def test_a_hostile_json_file_is_refused_by_the_cli_with_nothing_stored(
    cli, make_site, tmp_path
) -> None:
    make_site(ORIGIN)
    path = tmp_path / "deep.json"
    path.write_text(HOSTILE_JSON["long-number"][0])

    result = cli("json", str(path), "--site", "old")

    assert result.exit_code == 1, result.output
    assert "more than 18 digits" in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Thread)) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('"threads": {}}', '"threads" is not a list'),
        ('"threads": [{"key": "t1", "url": "' + ORIGIN + '/p/", "comments": {"x": 1}}]}',
         '"comments" is not a list'),
        ('"threads": 7}', '"threads" is not a list'),
    ],
)  # fmt: skip
def test_a_json_file_of_the_wrong_shape_is_refused(cli, make_site, tmp_path, body, message):
    """It said "0 imported" and exited 0, as if the site had no comments."""
    make_site(ORIGIN)
    path = tmp_path / "shape.json"
    path.write_text(JSON_HEAD + body)

    result = cli("json", str(path), "--site", "old")

    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output


def test_json_items_that_are_not_objects_are_skipped_and_counted(cli, make_site, tmp_path):
    make_site(ORIGIN)
    path = tmp_path / "items.json"
    path.write_text(
        JSON_HEAD + '"threads": ["a", 1, null, [2], {"key": "t1", "url": "' + ORIGIN + '/p/", '
        '"comments": [3, {"key": "c1", "created_at": "2020-01-01T00:00:00Z", "markdown": "hi"}]}]}'
    )

    result = cli("json", str(path), "--site", "old")

    assert result.exit_code == 0, result.output
    assert skipped(result.output, "the thread is not an object") == 4
    assert skipped(result.output, "the comment is not an object") == 1
    assert db.session.scalars(sa.select(Comment.body_markdown)).all() == ["hi"]


def test_a_json_file_starting_with_a_byte_order_mark_imports(cli, make_site, tmp_path) -> None:
    make_site(ORIGIN)
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + (JSON_HEAD + '"threads": []}').encode())

    result = cli("json", str(path), "--site", "old")

    assert result.exit_code == 0, result.output


def test_a_parse_error_reads_as_text(cli, make_site, tmp_path) -> None:
    make_site(ORIGIN)
    path = tmp_path / "bad.json"
    path.write_bytes(JSON_HEAD.encode() + b'"threads": \xff\xfe<}')

    result = cli("json", str(path), "--site", "old")

    assert result.exit_code == 1 and "not complete, valid JSON (lexical error" in result.output
    assert "b'" not in result.output and "(right here)" not in result.output


@pytest.mark.parametrize("version", ["true", "1.0", '"1"'])
def test_a_version_that_is_not_the_number_1_is_refused(cli, make_site, tmp_path, version):
    make_site(ORIGIN)
    path = tmp_path / "version.json"
    path.write_text(f'{{"format": "commentsvc-export", "version": {version}, "threads": []}}')

    result = cli("json", str(path), "--site", "old")

    assert result.exit_code == 1 and "this commentsvc reads version 1" in result.output


def test_a_json_date_before_the_first_utc_moment_skips_its_comment(
    cli, make_site, tmp_path
) -> None:
    make_site(ORIGIN)
    comment = '"created_at": "{}", "markdown": "hi"}}'
    path = tmp_path / "dates.json"
    path.write_text(
        JSON_HEAD
        + JSON_THREAD
        + comment.format("0001-01-01T00:00:00+14:00")
        + ', {"key": "c2", '
        + comment.format("2020-01-01T00:00:00+00:00")
        + "]}]}"
    )

    result = cli("json", str(path), "--site", "old")

    assert result.exit_code == 0, result.output
    assert "created_at is not a date" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1


# ---------------------------------------------------------------- Isso


def isso_database(path: Path, comments: str, rows: list[tuple] = ()) -> Path:
    """An SQLite file with Isso's threads table, ``comments`` as given, and ``rows`` in it."""
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR, title VARCHAR)")
    connection.execute("INSERT INTO threads VALUES (1, '/p/', 'A post')")
    connection.execute(comments)
    connection.executemany(
        "INSERT INTO comments (tid, id, parent, created, modified, mode, text, author) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    connection.commit()
    connection.close()
    return path


ISSO_COMMENTS = (
    "CREATE TABLE comments (tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER, "
    "created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR, text VARCHAR, "
    "author VARCHAR, email VARCHAR, website VARCHAR, likes INTEGER DEFAULT 0, "
    "dislikes INTEGER DEFAULT 0, voters BLOB)"
)
CODE_IN_THE_FILE = {
    # Counting its rows never ended.
    "recursive-view": "CREATE VIEW comments AS WITH RECURSIVE n(tid, id, parent, created, "
    "modified, mode, remote_addr, text, author, email, website) AS (SELECT 1, 1, NULL, 0, NULL, "
    "1, '', 'x', 'a', '', '' UNION ALL SELECT tid, id + 1, parent, created, modified, mode, "
    "remote_addr, text, author, email, website FROM n) SELECT * FROM n",
    "generated-column": ISSO_COMMENTS.replace(
        "text VARCHAR", "text VARCHAR GENERATED ALWAYS AS (printf('%.*c', 1000000, 'x'))"
    ),
    "virtual-table": "CREATE VIRTUAL TABLE comments USING fts5(tid, id, parent, created, "
    "modified, mode, remote_addr, text, author, email, website)",
}


@pytest.mark.parametrize("name", sorted(CODE_IN_THE_FILE))
def test_an_isso_database_whose_comments_run_code_is_refused_at_once(
    name, cli, make_site, tmp_path
) -> None:
    make_site(ORIGIN)
    connection = sqlite3.connect(tmp_path / "isso.db")
    connection.execute("CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR, title VARCHAR)")
    connection.execute(CODE_IN_THE_FILE[name])
    connection.commit()
    connection.close()
    started = time.monotonic()

    result = cli("isso", str(tmp_path / "isso.db"), "--site", "old")

    assert result.exit_code == 1, result.output
    assert "plain tables, not views" in result.output
    assert "Traceback" not in result.output
    assert time.monotonic() - started < 5


def test_isso_rows_of_the_wrong_types_are_skipped_and_the_rest_imported(
    cli, make_site, tmp_path
) -> None:
    make_site(ORIGIN)
    path = isso_database(
        tmp_path / "isso.db",
        ISSO_COMMENTS,
        [
            (1, 1, None, 1.5e9, None, 1, "fine", "Ann"),
            (1, 2, None, 1e20, None, 1, "far future", "Bob"),  # OverflowError
            (1, 3, None, -1e15, None, 1, "year -31 million", "Cy"),  # ValueError
            (1, 4, None, "yesterday", None, 1, "text date", "Di"),
            (1, 5, None, 1.5e9, -1e19, 1, "bad edit", "Ed"),
            (1, 6, None, 1.5e9, None, 1, b"\x00\xff", "Flo"),  # a blob for the text
            ("one", 7, None, 1.5e9, None, 1, "text thread", "Gus"),
            (1, 8, "first", 1.5e9, None, 1, "text parent", "Hal"),
            (1, 9, None, 1.5e9, None, "visible", "text mode", "Ida"),
            (1, 10, None, 1.5e9, None, 1, "no UTF-8", "Jo"),
        ],
    )
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE comments SET likes = 'many' WHERE id = 1")
        connection.execute("UPDATE comments SET text = CAST(x'c328' AS TEXT) WHERE id = 10")
    connection.close()

    result = cli("isso", str(path), "--site", "old")

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert skipped(result.output, "comment's date is not a valid time") == 4
    assert skipped(result.output, "comment's text is not text") == 2
    assert skipped(result.output, "comment's id, thread or mode is not a number") == 2
    assert skipped(result.output, "comment's parent is not a number") == 1
    assert db.session.scalars(sa.select(Comment.body_html)).all() == ["<p>fine</p>"]


def test_an_isso_value_larger_than_the_limit_is_refused(cli, make_site, tmp_path) -> None:
    make_site(ORIGIN)
    huge = "x" * (isso.MAX_VALUE_BYTES + 1)
    path = isso_database(
        tmp_path / "isso.db", ISSO_COMMENTS, [(1, 1, None, 1.5e9, None, 1, huge, "Ann")]
    )

    result = cli("isso", str(path), "--site", "old")

    assert result.exit_code == 1, result.output
    assert "too big" in result.output
    assert "Traceback" not in result.output


def test_an_isso_statement_that_computes_past_its_budget_is_interrupted(
    cli, make_site, tmp_path, monkeypatch
) -> None:
    """Whatever else could make a statement slow meets the time budget of each step."""
    make_site(ORIGIN)
    rows = [(1, n, None, 1.5e9, None, 1, "hi", "Ann") for n in range(1, 3001)]
    # No INTEGER PRIMARY KEY: "ORDER BY id" sorts every row before the first one comes.
    path = isso_database(
        tmp_path / "isso.db", ISSO_COMMENTS.replace("id INTEGER PRIMARY KEY", "id INTEGER"), rows
    )
    monkeypatch.setattr(isso, "STEP_SECONDS", 0.0)
    monkeypatch.setattr(isso, "PROGRESS_STEPS", 100)

    with pytest.raises(ImportFileError) as refused:
        list(isso.read_isso(path, f"{ORIGIN}/"))

    assert "took more than 0 seconds to give one row" in str(refused.value.detail)


# ---------------------------------------------------------------- XML


def write_disqus(path: Path, posts: int) -> Path:
    """A Disqus export of one thread and ``posts`` posts (about 400 bytes each)."""
    with path.open("w") as out:
        out.write(
            '<?xml version="1.0" encoding="utf-8"?><disqus xmlns="http://disqus.com" '
            'xmlns:dsq="http://disqus.com/disqus-internals"><thread dsq:id="1">'
            f"<link>{ORIGIN}/p/</link><title>A post</title></thread>\n"
        )
        for n in range(posts):
            out.write(
                f'<post dsq:id="{n + 10}"><message><![CDATA[<p>Comment {n}, a few words '
                "long, like the comments people write under a post.</p>]]></message>"
                "<createdAt>2015-01-01T10:00:00Z</createdAt><isDeleted>false</isDeleted>"
                "<isSpam>false</isSpam><author><name>Reader</name><email>r@example.org</email>"
                f'</author><thread dsq:id="1" /></post>\n'
            )
        out.write("</disqus>\n")
    return path


def test_a_disqus_file_chosen_as_wordpress_is_refused_at_its_first_tag(tmp_path) -> None:
    """It was read whole (41 MB took 355 MB) before the root was checked."""
    path = write_disqus(tmp_path / "disqus.xml", 100_000)  # 40 MB

    started = time.monotonic()
    code, output, rss = read_in_child("wordpress", path)

    assert code == 0, output
    assert "refused: This is not a WordPress export: its root element is <disqus>" in output
    assert rss < MAX_RSS_BYTES
    assert time.monotonic() - started < 5


def test_xml_under_another_root_stores_nothing(cli, make_site, wxr_writer, tmp_path) -> None:
    """The root element was checked at the end, after batches of comments were committed."""
    make_site(ORIGIN)
    path = wxr_writer(tmp_path / "blog.xml", posts=20, comments_per_post=60, origin=ORIGIN)
    path.write_text(path.read_text().replace("<rss ", "<feed ").replace("</rss>", "</feed>"))

    result = cli("wordpress", str(path), "--site", "old")

    assert result.exit_code == 1, result.output
    assert "This is not a WordPress export: its root element is <feed>, not <rss>." in (
        result.output
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_a_wxr_file_of_many_terms_is_read_in_bounded_memory(tmp_path) -> None:
    """Elements outside items (categories, tags, terms) were kept until the end: these 16 MB
    took 190 MB; read now, they take what reading one item does (about 70)."""
    path = tmp_path / "terms.xml"
    with path.open("w") as out:
        out.write('<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel>')
        term = (
            "<wp:term><wp:term_id>{n}</wp:term_id><wp:term_taxonomy>post_tag</wp:term_taxonomy>"
            "<wp:term_slug>tag-{n}</wp:term_slug><wp:term_name>Tag {n}</wp:term_name></wp:term>\n"
        )
        for n in range(100_000):
            out.write(term.format(n=n))
        out.write(
            f"<item><link>{ORIGIN}/p/</link><wp:post_id>1</wp:post_id><wp:comment>"
            "<wp:comment_id>1</wp:comment_id><wp:comment_date_gmt>2020-01-01 00:00:00"
            "</wp:comment_date_gmt><wp:comment_content>Hi</wp:comment_content>"
            "<wp:comment_approved>1</wp:comment_approved></wp:comment></item></channel></rss>"
        )

    code, output, rss = read_in_child("wordpress", path)

    assert code == 0, output
    assert "records: 2" in output  # the thread and its comment
    assert rss < 120 * 1024 * 1024


def test_disqus_threads_and_posts_without_an_id_are_skipped(cli, make_site, tmp_path) -> None:
    """They all got the key "": the first was imported and the others were "already there"."""
    make_site(ORIGIN)
    post = (
        "<post{id}><message>Comment {n}</message><createdAt>2015-01-0{n}T10:00:00Z</createdAt>"
        '<thread dsq:id="1" /></post>'
    )
    path = tmp_path / "no-ids.xml"
    path.write_text(
        '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'
        f'<thread dsq:id="1"><link>{ORIGIN}/p/</link></thread>'
        f"<thread><link>{ORIGIN}/q/</link></thread>"
        + post.format(id="", n=1)
        + post.format(id="", n=2)
        + post.format(id=' dsq:id=""', n=3)
        + post.format(id=' dsq:id="9"', n=4)
        + "</disqus>"
    )

    result = cli("disqus", str(path), "--site", "old")

    assert result.exit_code == 0, result.output
    assert skipped(result.output, "comment has no dsq:id") == 3
    assert skipped(result.output, "thread has no dsq:id") == 1
    assert db.session.scalars(sa.select(Comment.body_html)).all() == ["<p>Comment 4</p>"]


def test_a_disqus_date_past_the_last_utc_moment_skips_its_post(cli, make_site, tmp_path) -> None:
    make_site(ORIGIN)
    post = (
        '<post dsq:id="{id}"><message>Comment {id}</message><createdAt>{at}</createdAt>'
        '<thread dsq:id="1" /></post>'
    )
    path = tmp_path / "dates.xml"
    path.write_text(
        '<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'
        f'<thread dsq:id="1"><link>{ORIGIN}/p/</link></thread>'
        + post.format(id=1, at="9999-12-31T23:59:59-05:00")
        + post.format(id=2, at="0001-01-01T00:00:00+05:00")
        + post.format(id=3, at="2015-01-03T10:00:00Z")
        + "</disqus>"
    )

    result = cli("disqus", str(path), "--site", "old")

    assert result.exit_code == 0, result.output
    assert skipped(result.output, "comment has no date") == 2
    assert db.session.scalars(sa.select(Comment.body_html)).all() == ["<p>Comment 3</p>"]

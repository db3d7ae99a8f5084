"""Sections of the report, then the same sections as self-contained HTML and as Markdown."""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from urllib.parse import quote

import numpy as np

from pipeline.report import plots
from pipeline.report.breakdown import threshold_text
from pipeline.report.collect import ALL_DOCS, TOP_LANGUAGES, ReportData


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    key: str
    title: str
    note: str = ""
    missing: str = ""                  # set when the run has no data for this section
    warnings: list[str] = field(default_factory=list)   # one line each, shown above the tables
    tables: list[Table] = field(default_factory=list)
    images: list[tuple[bytes, str]] = field(default_factory=list)   # (svg, alt text)


def _n(x) -> str:
    return f"{x:,}" if isinstance(x, int) else (f"{x:,.3f}" if isinstance(x, float) else str(x))


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def _read(n: int, total: int) -> str:
    """Which documents a distribution is of: all of them, or a sample of some."""
    return f"all {total:,}" if n == total else f"a sample of {n:,} of {total:,}"


def _chart(sec: Section, fn, *args, alt: str) -> None:
    try:
        sec.images.append((fn(*args), alt))
    except Exception as e:             # a chart that fails leaves its table and says why
        sec.note += f" (chart failed: {type(e).__name__}: {e})"


def sections(d: ReportData) -> list[Section]:
    s = d.stats
    out = []
    read = d.funnel[0]["docs_out"] if d.funnel else 0
    lost = d.funnel[0]["quarantined"] if d.funnel else 0
    # input records quarantined at ingest are input too: the share kept counts them (it said 100%)
    first = read + lost
    sec = Section("funnel", "Document funnel", f"{read:,} documents read" + (
        f", {lost:,} input records quarantined" if lost else "") + "; each stage's documents in and out"
        + ("; a mix's documents out count its repeats (epochs)" if any(r.get("resamples") for r in d.funnel) else "")
        + ".", warnings=d.stage_warnings)
    sec.tables.append(Table(["stage", "docs in", "docs out", "removed", "quarantined", "kept of input", "MB in", "MB out"],
                            [[r["id"], _n(r["docs_in"]), _n(r["docs_out"]), _n(r["removed"]), _n(r["quarantined"]),
                              "(not documents)" if r["global"] else
                              # a mix repeats documents (epochs): its share counts each repeat again
                              f"{_pct(r['docs_out'], first)} (repeats counted)" if r.get("resamples")
                              else _pct(r["docs_out"], first),
                              f"{r['bytes_in'] / 1e6:,.2f}", f"{r['bytes_out'] / 1e6:,.2f}"] for r in d.funnel]))
    _chart(sec, plots.funnel, d, alt="document funnel chart")
    out.append(sec)

    sec = Section("reasons", "Removals by reason", "Reasons are `<stage id>/<reason>`.",
                  missing=d.missing.get("reasons", ""))
    if d.reasons:
        total = sum(n for _, n in d.reasons)
        sec.tables.append(Table(["reason", "documents", "share of removals"],
                                [[k, _n(v), _pct(v, total)] for k, v in d.reasons]))
        _chart(sec, plots.reasons, d, alt="removals by reason chart")
    out.append(sec)

    sec = Section("lengths", "Document length", missing=d.missing.get("lengths", ""))
    if d.lengths:
        sec.note = ("Characters per document: all of a stage's documents, or (past "
                    f"{ALL_DOCS:,}) a sample drawn from every source in proportion to its documents.")
        sec.tables.append(Table(["stage", "documents read", "p10", "median", "p90", "max"],
                                [[x.stage, _read(x.sampled, x.total),
                                  *[_n(int(np.percentile(x.kept, q))) for q in (10, 50, 90)], _n(int(x.kept.max()))]
                                 for x in d.lengths]))
        _chart(sec, plots.lengths, d.lengths, alt="document length histogram")
    out.append(sec)

    sec = Section("languages", "Languages", missing=d.missing.get("languages", ""))
    if d.languages:
        stage, counts, rows, total = d.languages
        sec.note = (f"`language` column of the documents after stage {stage} ({_read(rows, total)} documents)."
                    if total else f"No documents are left after stage {stage}.")
        sec.tables.append(Table(["language", "documents", "share"],
                                [[k, _n(v), _pct(v, rows)] for k, v in counts.items()]))
        _chart(sec, plots.languages, stage, counts, alt="language histogram")
    out.append(sec)

    sec = Section("signals", "Quality signals", missing=d.missing.get("signals", ""))
    if d.signals:
        part = {f"{x.kept_at or x.stage} ({_read(x.sampled, x.total)})" for x in d.signals if x.sampled < x.total}
        sec.note = ("Each signal at the stage that computed it: kept documents (`kept read`: every kept document "
                    "with the signal" + (", except where there were too many: a sample drawn from every source in "
                                         "proportion to its documents, of " + ", ".join(sorted(part)) if part else "")
                    + ") and the "
                    "stage's sample of removed documents; dashed lines are the stage's thresholds (for the "
                    "documents' most common language profile; each language's are in the next section). "
                    "`kept at` is the stage whose documents the kept values are read from: inside a chain "
                    "that stores only its end, the chain's end, so documents the stage kept and a later "
                    "stage removed are not among them (`checkpoint: every_stage` stores each stage's).")
        sec.tables.append(Table(["stage", "signal", "kept at", "kept read", "kept median", "removed sampled",
                                 "removed median", "threshold"],
                                [[x.stage, x.column, x.kept_at or x.stage, _n(len(x.kept)),
                                  _n(float(np.nanmedian(x.kept))) if len(x.kept) else "-", _n(len(x.removed)),
                                  _n(float(np.nanmedian(x.removed))) if len(x.removed) else "-",
                                  threshold_text(x.threshold_values())]
                                 for x in d.signals]))
        _chart(sec, plots.signals, d.signals, alt="quality signal histograms")
    out.append(sec)

    sec = Section("clusters", "Duplicate clusters", missing=d.missing.get("clusters", ""))
    if d.clusters:
        rows = []
        for stage, info in d.clusters.items():
            sizes = info["sizes"]
            n_clusters = sum(sizes.values())
            dup_docs = sum((k - 1) * v for k, v in sizes.items())
            rows.append([stage, _n(n_clusters), _n(dup_docs), _n(max(sizes) if sizes else 0),
                         info["source"] + ("" if info["exact"] else " (partial)")])
        sec.tables.append(Table(["stage", "clusters", "duplicates removed", "largest cluster", "from"], rows))
        if any(info["sizes"] for info in d.clusters.values()):
            _chart(sec, plots.clusters, d.clusters, alt="duplicate cluster size histogram")
        else:
            sec.note = "The dedup stages found no duplicates."
    out.append(sec)

    # A mix that is not what was asked (an allowed shortfall, whole documents against a small
    # target) says so here, where requested and realised shares are compared.
    sec = Section("tokens", "Tokens per source: requested vs realised", d.tokens_note,
                  missing=d.missing.get("tokens", ""), warnings=d.tokens_warnings)
    if d.tokens:
        # Epochs: a source repeated many times to meet its share is what a researcher must see.
        sec.tables.append(Table(["source", "requested share", "realised share", "tokens", "documents", "epochs"],
                                [[r["source"], "-" if r["requested_share"] is None else f"{r['requested_share']:.4f}",
                                  f"{r['share']:.4f}", _n(r["tokens"]), _n(r["documents"]) if r["documents"] is not None else "-",
                                  "-" if r.get("epochs") is None else f"{r['epochs']:,.2f}"]
                                 for r in d.tokens]))
        phases = max((len(r.get("phase_tokens") or []) for r in d.tokens), default=0)
        if phases > 1:      # a curriculum: each phase's tokens per source, in training order
            sec.tables.append(Table(["source"] + [f"phase {i}" for i in range(phases)],
                                    [[r["source"]] + [_n(n) for n in r["phase_tokens"]] for r in d.tokens]))
        _chart(sec, plots.tokens, d.tokens, alt="tokens per source chart")
    out.append(sec)
    out += breakdown_sections(d)

    sec = Section("walls", "Wall time per stage",
                  (f"Run wall time {s.get('wall_seconds', 0):,.1f} s on {s.get('ray', {}).get('cpus')} CPUs. "
                   if s.get("wall_seconds") is not None else "Run wall time unknown (the run did not finish). ")
                  + "Fused map stages run in one task per shard, so they share one wall time; "
                  "task time is the sum over shards of the time in that stage, CPU time the CPU "
                  "seconds of its tasks (with their forked helpers)."
                  + (" Stages marked (cached) were finished by an earlier run into this folder: their "
                     "times are that run's, not part of this run's wall time." if any(r["cached"] for r in d.walls)
                     else ""))
    sec.tables.append(Table(["stage", "wall s", "task s", "cpu s", "fused with"],
                            [[r["id"] + (" (cached)" if r["cached"] else ""), f"{r['wall_seconds']:,.2f}",
                              f"{r['task_seconds']:,.2f}",
                              f"{r.get('cpu_seconds', 0.0):,.2f}",
                              ", ".join(x for x in r["fused_with"] if x != r["id"])] for r in d.walls]))
    phases = [[st["id"], ph["phase"], _n(ph["tasks"]), f"{ph['wall_seconds']:,.2f}", f"{ph['task_seconds']:,.2f}",
               f"{ph.get('cpu_seconds', 0.0):,.2f}"]
              for st in s["stages"] for ph in (st.get("info") or {}).get("phases", [])]
    if phases:       # where a global stage spent its time (GlobalContext.map phases)
        sec.tables.append(Table(["global stage", "phase", "tasks", "wall s", "task s", "cpu s"], phases))
    _chart(sec, plots.walls, d, alt="time per stage chart")
    out.append(sec)
    for k, why in d.missing.items():          # sections that failed to read say so
        for x in out:
            if x.key == k and not x.missing and not x.tables:
                x.missing = why
    return out


FUNNEL_COLUMNS = 12


def _funnel_table(keys: list[str], rows: list[dict], what: str) -> Table:
    """The largest groups a column each; past FUNNEL_COLUMNS, the rest summed in one column that
    says how many it holds (15 sources lost three without a word)."""
    if len(keys) <= FUNNEL_COLUMNS:
        return Table(["stage", *keys], [[r["stage"], *[_n(r["counts"].get(k, 0)) for k in keys]] for r in rows])
    shown, rest = keys[:FUNNEL_COLUMNS - 1], keys[FUNNEL_COLUMNS - 1:]
    return Table(["stage", *shown, f"{len(rest)} others"],
                 [[r["stage"], *[_n(r["counts"].get(k, 0)) for k in shown],
                   _n(sum(r["counts"].get(k, 0) for k in rest))] for r in rows])


def breakdown_sections(d: ReportData) -> list[Section]:
    """Per source / per language funnels, token shares per grouping, signals per language,
    quarantine by file, example duplicate pairs."""
    out = []
    for key, title, (keys, rows) in (("by_source", "Funnel per source", d.by_source),
                                     ("by_language", "Funnel per language", d.by_language)):
        sec = Section(key, title, "Documents out of each stage that writes documents.", missing=d.missing.get(key, ""))
        if rows:
            sec.tables.append(_funnel_table(keys, rows, key))
        out.append(sec)
    sec = Section("token_groups", "Token shares per grouping",
                  "One chart per grouping (tokenize counts by `source`; a mix stage by its `source_column`); "
                  "shares sum to 1 within each.", missing="" if d.token_groups else "no tokenize or mix stage")
    for group, rows in d.token_groups.items():
        col = group.split(" ")[0]
        sec.tables.append(Table([group, "tokens", "share", "requested share"],
                                [[r["name"], _n(r["tokens"]), f"{r['share']:.4f}",
                                  "-" if r["requested_share"] is None else f"{r['requested_share']:.4f}"] for r in rows]))
        _chart(sec, plots.tokens, [{**r, col: r["name"]} for r in rows], f"Tokens per {group}", col,
               alt=f"tokens per {group} chart")
    out.append(sec)
    sec = Section("signals_by_language", "Quality signals per language",
                  "Kept documents at the stage that computed each signal (all, or a sample, as above; `kept at`: read "
                  "from that stage's documents, or from its chain's end, as in the section above), the "
                  f"{TOP_LANGUAGES} largest languages; each language's threshold is the one its documents were "
                  "judged by (its language profile's value).", missing=d.missing.get("signals_by_language", ""))
    if d.signals_by_language:
        sec.tables.append(Table(["stage", "signal", "kept at", "language", "documents", "p10", "median", "p90",
                                 "threshold"],
                                [[r["stage"], r["signal"], r["kept_at"], r["language"], _n(r["documents"]), _n(r["p10"]),
                                  _n(r["median"]), _n(r["p90"]), r["threshold"]] for r in d.signals_by_language]))
        _chart(sec, plots.signals_by_language, d.signals, alt="quality signal histograms per language")
    out.append(sec)
    sec = Section("quarantine_files", "Quarantined input by file", missing=d.missing.get("quarantine_files", ""))
    if d.quarantine_files:
        sec.tables.append(Table(["file", "reason", "records"],
                                [[r["file"], r["reason"], _n(r["records"])] for r in d.quarantine_files[:50]]))
    out.append(sec)
    sec = Section("input_counts", "Input skipped and flagged at ingest",
                  "Records the input held that are no documents, by kind (`skipped_*` and a reader's own "
                  "`*_skipped`: a crawl's requests, metadata, redirects, images; a dataset's own description "
                  "files; a paper's included files), then what ingest noticed on "
                  "the documents it kept or on the files (flags such as `http_truncated`, `length_mismatch`, "
                  "`decoded_lossy`; notes such as `duplicate_id`). Quarantined input is in the section above.",
                  missing=d.missing.get("input_counts", ""))
    if d.input_counts:
        per_source = any(r.get("source") for r in d.input_counts)
        sec.tables.append(Table((["source"] if per_source else []) + ["counter", "records", "kind"],
                                [([r["source"]] if per_source else []) +
                                 [r["counter"], _n(r["records"]), "skipped, not a document" if r["skipped"]
                                  else "a flag or a note"] for r in d.input_counts]))
    out.append(sec)
    # Exact and near-duplicates alike (the stage says which), and how many of each stage's are shown:
    # the removed count of the stage (all of a dedup stage's removals are duplicates)
    shown: dict[str, int] = {}
    for r in d.duplicate_pairs:
        shown[r["stage"]] = shown.get(r["stage"], 0) + 1
    removed = {s["id"]: sum((s.get("removed") or {}).values()) for s in d.stats.get("stages", [])}
    sec = Section("duplicate_pairs", "Example duplicates", "A removed document beside the one it duplicates "
                  "(first characters of each); shown: " + "; ".join(
                      f"{stage} {n:,} of {max(n, removed.get(stage, 0)):,}" for stage, n in shown.items()) + ".",
                  missing=d.missing.get("duplicate_pairs", ""))
    if d.duplicate_pairs:
        sec.tables.append(Table(["stage", "removed", "kept"],
                                [[r["stage"], f"{r['removed_id']}: {r['removed_text']}", f"{r['kept_id']}: {r['kept_text']}"]
                                 for r in d.duplicate_pairs]))
    out.append(sec)
    return out


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}
table{border-collapse:collapse;margin:.6em 0;font-size:13px}
td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}
.missing{color:#777;font-style:italic} .warning{color:#a40} img{max-width:100%;display:block;margin:.5em 0}
code{background:#f3f3f3;padding:0 3px}
"""
# Counts the plots the browser actually decoded, so a headless check can read it from the DOM.
_SCRIPT = """
window.addEventListener('load', function () {
  var imgs = document.querySelectorAll('img.plot');
  var ok = 0;
  imgs.forEach(function (i) { if (i.complete && i.naturalWidth > 0) ok++; });
  document.body.setAttribute('data-plots-rendered', String(ok));
  document.body.setAttribute('data-plots-total', String(imgs.length));
});
"""


def _data_uri(svg: bytes) -> str:
    """A chart as a data: URI: the SVG as text, percent-encoding only what a URI or this quoted
    attribute cannot hold (`#`, `%`, `&`, `'`, `<`, `>`, line ends, non-ASCII): a few per cent over
    the SVG itself, where base64 adds a third."""
    return "data:image/svg+xml;charset=utf-8," + quote(svg.decode("utf-8"), safe=' ,.:;=/"-_()!*+?@$~')


def _md_inline(text: str) -> str:
    """`code` spans to <code> (the notes use backticks), everything else escaped."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _final_docs(stats: dict) -> int:
    """Documents out of the last stage that outputs documents (tokenize/mix write datasets instead)."""
    docs = [s for s in stats["stages"] if s.get("shards", 0) or s["stage"] == "ingest"]
    return docs[-1]["docs_out"] if docs else 0


def _output(stats: dict) -> str:
    """What the run delivered; of a run that did not finish, what its last stage with shards holds so far
    (not the recipe's output: its later stages have not run)."""
    if stats.get("stopped") or stats.get("failed"):
        return (f"no output yet: the run did not finish (its last stage with shards holds "
                f"{_final_docs(stats):,} documents)")
    return f"output {_final_docs(stats):,} documents"


FAILED_NOTE = ("The figures below are the work done until then (each stage's completed shards); a rerun of the "
               "same recipe resumes from there and replaces this report.")


STOPPED_NOTE = ("(killed, or still running: no stats.json and no failed.json). The figures below are the work "
                "done until then (each stage's completed shards); a stage that had not finished counts only "
                "those. A rerun of the same recipe resumes from there and replaces this report.")


def stopped_text(stats: dict) -> str:
    st = stats["stopped"]
    return (f"This run did not finish: {st['finished_stages']} of its {st['stages']} stages finished "
            f"{STOPPED_NOTE}")


TRIAL_NOTE = "every figure below is of that part only."


def to_html(stats: dict, secs: list[Section]) -> str:
    h = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>tokenmill run report: "
         f"{html.escape(str(stats.get('recipe')))}</title><style>{_CSS}</style></head><body>",
         f"<h1>Run report: {html.escape(str(stats.get('recipe')))}</h1>",
         f"<p>Run directory <code>{html.escape(stats.get('run_dir', ''))}</code>, started {stats.get('started')}, "
         f"seed {stats.get('seed')}, recipe hash <code>{str(stats.get('recipe_hash'))[:12]}</code>. "
         f"{_output(stats)[0].upper()}{_output(stats)[1:]}.</p>"]
    if stats.get("trial"):
        h.append(f"<p class='warning'><b>A trial run</b> ({html.escape(stats['trial'])}), not the whole input: "
                 f"{html.escape(TRIAL_NOTE)}</p>")
    if stats.get("failed"):
        h.append(f"<p class='missing'><b>This run stopped with an error</b> ({html.escape(stats['failed']['at'])}): "
                 f"<code>{html.escape(stats['failed']['error'])}</code>. {html.escape(FAILED_NOTE)}</p>")
    if stats.get("stopped"):
        h.append(f"<p class='missing'><b>{html.escape(stopped_text(stats))}</b></p>")
    for sec in secs:
        h.append(f"<h2 id='{sec.key}'>{html.escape(sec.title)}</h2>")
        if sec.missing:
            h.append(f"<p class='missing' data-missing='{sec.key}'>No data: {_md_inline(sec.missing)}.</p>")
            continue
        if sec.note:
            h.append(f"<p>{_md_inline(sec.note)}</p>")
        h.extend(f"<p class='warning'><b>Warning:</b> {_md_inline(w)}</p>" for w in sec.warnings)
        for image, alt in sec.images:
            h.append(f"<img class='plot' alt='{html.escape(alt)}' src='{_data_uri(image)}'>")
        for t in sec.tables:
            h.append("<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in t.header) + "</tr>")
            h.extend("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in t.rows)
            h.append("</table>")
    h.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(h)


def to_markdown(stats: dict, secs: list[Section]) -> str:
    m = [f"# Run report: {stats.get('recipe')}", "",
         f"Run directory `{stats.get('run_dir')}`, started {stats.get('started')}, seed {stats.get('seed')}, "
         f"{_output(stats)}. Charts are in `report.html`.", ""]
    if stats.get("trial"):
        m += [f"**A trial run** ({stats['trial']}), not the whole input: {TRIAL_NOTE}", ""]
    if stats.get("failed"):
        m += [f"**This run stopped with an error** ({stats['failed']['at']}): `{stats['failed']['error']}`. "
              f"{FAILED_NOTE}", ""]
    if stats.get("stopped"):
        m += [f"**{stopped_text(stats)}**", ""]
    for sec in secs:
        m += [f"## {sec.title}", ""]
        if sec.missing:
            m += [f"_No data: {sec.missing}._", ""]
            continue
        if sec.note:
            m += [sec.note, ""]
        for w in sec.warnings:
            m += [f"**Warning:** {w}", ""]
        for t in sec.tables:
            m.append("| " + " | ".join(t.header) + " |")
            m.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(t.header))) + "|")
            m += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in t.rows]
            m.append("")
    return "\n".join(m)

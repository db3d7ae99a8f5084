"""mix's warnings about what it made (mix.json): an allowed shortfall, said as the shares that
grew and shrank, and a realised mix off its plan by more than the tolerance (whole documents
cannot hit a share exactly). Shown by the end-of-run summary and the report."""
from __future__ import annotations

TOTAL_TOLERANCE = 0.05      # realised total vs the planned total, as a fraction of the plan
SHARE_TOLERANCE = 0.05      # a source's realised share vs its planned share, absolute ...
SHARE_TOLERANCE_REL = 0.25  # ... or as a fraction of the planned share (a small source's share)


def _off(got: float, want: float) -> bool:
    return abs(got - want) > SHARE_TOLERANCE or (want > 0 and abs(got - want) > SHARE_TOLERANCE_REL * want)


def mix_warnings(report: dict) -> list[str]:
    """One-line warnings about a mix report (mix.json): an allowed shortfall, and a realised mix
    off its plan by more than the tolerance (whole documents). Shown by the end-of-run summary and
    the report, so a mix that is not what was asked never passes silently."""
    out = []
    srcs = report.get("sources", {})
    total = report.get("tokens", 0)
    sf = report.get("shortfall")
    if sf:
        target = sf["target_tokens"]
        def limit(r):   # the limit that binds: the cap, or the documents times max_epochs
            capped = r.get("max_tokens") is not None and r["available_tokens"] == r["max_tokens"]
            return (f"max_tokens={r['max_tokens']}" if capped else
                    f"documents hold {r.get('document_tokens', 0):,}, max_epochs={r['max_epochs']}")
        short = ", ".join(f"{s} has {r['available_tokens']:,} of {r['requested_tokens']:,} ({limit(r)})"
                          for s, r in sf["sources"].items())
        empty = [s for s, r in sf["sources"].items() if r["available_tokens"] <= 0]
        if sf["keeps"] == "shares":
            how = "; ".join(
                ([f"every source scaled by the same factor ({sf['scale']:.4g}), so the requested shares hold "
                  f"and the total shrinks"] if sf["scale"] is not None and sf["scale"] < 1 else [])
                + ([f"{', '.join(empty)} had no tokens and {'is' if len(empty) == 1 else 'are'} left out "
                    f"(the others keep their proportions to each other)"] if empty else []))
        else:
            # Each short source shrank by its own ratio, so a short source's share can grow too
            # (the one least short, when every source is): say which shares grew and which shrank.
            moved = {s: (r.get("share", 0.0), r.get("requested_share", 0.0)) for s, r in srcs.items()
                     if _off(r.get("share", 0.0), r.get("requested_share", 0.0))}
            grew = [f"{s} {g:.3f} for {w:.3f}" for s, (g, w) in moved.items() if g > w]
            shrank = [f"{s} {g:.3f} for {w:.3f}" for s, (g, w) in moved.items() if g <= w]
            listed = "; ".join(f"{verb} {', '.join(v)}" for verb, v in (("grew", grew), ("shrank", shrank)) if v)
            weighted = [s for s, r in srcs.items() if r.get("requested_share", 0.0) > 0]
            every = bool(weighted) and all(s in sf["sources"] for s in weighted)
            how = (("every source is short and each shrank to what it has, by its own ratio" if every else
                    "only the short sources shrank, to what each has (the others kept their tokens)")
                   + (f", so the shares moved: {listed}" if moved else "")
                   + " (shortfall_keeps: shares keeps the requested shares)")
        what = (f"mix: trial run ({sf['trial']}) reads only part of each source, so its mix falls short "
                f"(allowed in trials; the full run is held to its target): " if sf.get("trial") else
                "mix: shortfall (allow_shortfall): ")
        out.append(f"{what}{total:,} of the {target:,} tokens asked "
                   f"({100 * total / target:.1f}%); short: {short}; {how}" if target else
                   f"{what}short: {short}; {how}")
    planned = report.get("planned_tokens", sum(r.get("planned_tokens", 0) for r in srcs.values()))
    if planned > 0 and total > 0:
        what = []
        if abs(total - planned) > TOTAL_TOLERANCE * planned:
            what.append(f"{total:,} tokens for {'the shortfall-scaled plan of' if sf else 'a target of'} "
                        f"{planned:,} ({100 * (total - planned) / planned:+.1f}%)")
        off = {s: (r["tokens"] / total, r.get("planned_tokens", 0) / planned) for s, r in srcs.items()}
        off = {s: v for s, v in off.items() if _off(*v)}
        if off:
            what.append("shares " + ", ".join(f"{s} {g:.3f} for {w:.3f}" for s, (g, w) in off.items()))
        if what:
            head = (f"mix: realised mix off the plan by more than the tolerance ({100 * TOTAL_TOLERANCE:.0f}% of "
                    f"the total; {SHARE_TOLERANCE} or {100 * SHARE_TOLERANCE_REL:.0f}% of a share): "
                    + "; ".join(what) + "; cause: whole documents (each is taken or left whole")
            missing = {s: r.get("planned_tokens", 0) - r["tokens"] for s, r in srcs.items()}
            # A source short by more than the tolerance although its plan is many documents' worth,
            # because a document left out is larger than what it misses (a dump whose tokens sit in
            # one document): no target fixes that, the document is the cause. (A plan of a few
            # documents' worth is the target's: close to the document sizes.)
            stuck = {s: r["largest_document_left_tokens"] for s, r in srcs.items()
                     if missing[s] > TOTAL_TOLERANCE * r.get("planned_tokens", 0)
                     and r.get("planned_tokens", 0) >= 4 * r.get("median_document_tokens", 0)
                     and r.get("largest_document_left_tokens", 0) > missing[s]}
            if stuck:
                out.append(head + "; " + ", ".join(
                    f"{s} is {missing[s]:,} tokens short and its largest document left out has {big:,}, so "
                    f"taking it would miss by more" for s, big in stuck.items())
                    + "): split long documents upstream (e.g. a reader's max_chars) or change the source's weight")
                return out
            worst = sorted(srcs.items(), key=lambda kv: -abs(kv[1]["tokens"] - kv[1].get("planned_tokens", 0)))
            big = ", ".join(f"{s} {r.get('largest_document_tokens', 0):,} tokens"
                            for s, r in (worst[:2] if not off else [(s, srcs[s]) for s in off])
                            if r.get("largest_document_tokens"))
            # Raising the target cannot help when a source already plans all its limit allows:
            # the run then fails for that source (a multisource mix whose Wikipedia was at max_epochs).
            bound = [s for s, r in srcs.items() if r.get("limit_tokens") and r.get("planned_tokens", 0) > 0
                     and r["planned_tokens"] >= r["limit_tokens"] * (1 - TOTAL_TOLERANCE)]
            advice = ("raise target_tokens" if not bound else
                      f"raising target_tokens would fail, as {', '.join(bound)} already give{'s' if len(bound) == 1 else ''} "
                      f"all that max_epochs/max_tokens allow: split long documents upstream (a reader's "
                      f"max_chars) or give {', '.join(bound)} more data or epochs")
            out.append(head + (f"; largest picked: {big}" if big else "") + "): a target this close to the "
                       "document sizes cannot be met closer; " + advice)
    return out

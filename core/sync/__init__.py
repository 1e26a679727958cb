"""The sync engine: logged events + audio anchors -> proposed media times, offline and live.

clock_map (logger clock -> media time, robust, with jumps), lateness (per-type lateness learned from
anchored events), candidates (which anchors an event may belong to and how likely each is), choice
(asymmetric, spoiler-averse decision), referee (which whistles sound like this match's referee),
solver (one pass over everything known; a goal stands on a roar, a card or free kick never before its
foul's whistle), engine (causal SyncEngine for the console), offline (sync_events for the CLI),
proposal (value types), settings.
"""

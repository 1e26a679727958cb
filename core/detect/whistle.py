"""Referee-whistle detector: streaming, causal, block-size independent.

Per-frame features are vectorised over each batch of STFT frames (``whistle_features``). A frame is
*tonal* when its strongest 1.8-4.5 kHz peak stands out of the band and dominates its +-1 kHz
neighbourhood or the 1-7.8 kHz band; only tonal frames drive a small state machine that groups them
into candidates (a level dip and re-rise of REONSET_DB splits two blasts). A candidate closes
GAP_FRAMES frames after its last tonal frame, at the end of the stream, or, while it is still young, at a tonal
frame far from its pitch, which starts the next. It is judged on duration,
tonal fill, the rise of its band over the recent background (gear hum and crowd beds do not rise), the
concentration of the mean spectrum of its loudest frames (or of each of them around its own peak, for a
whistle jumping between two pitches), the partials around its peak (a voice's harmonic comb;
``whistle_spectrum``), and warble (a synthetic steady tone has none). A blast in a loud crowd, whose
broadband floor dilutes those concentrations, is judged again on its spectra less their median within +-1 kHz
(stricter bars), and then must also show a whistle's shape: a line-narrow onset, a held pitch, a pitch above
the band's low edge (voices, mouth whistles and gear noise stand out of the floor too). A blast whose tonal
frames are too sparse is judged if its line stands out of the band's median in enough of its frames.

A candidate is judged once it has lasted DECIDE_FRAMES frames, with the frames seen so far, and again
when it closes. A whistle found early is reported at once (its ``end`` so far) and reported again at
close with its final ``end``, freqs and confidence: a revision with the same ``start``, which consumers
keep in place of the earlier report (``core.detect.pipeline.latest_anchors``). An early whistle that the
closing judgement rejects is reported once more as withdrawn (and its rejection as usual), so the final
results are those of judging every candidate at its close. A candidate the early judgement doubts waits
for its close. So a whistle is reported at most
DECIDE_FRAMES frames after its first tonal frame, or GAP_FRAMES frames (48 ms) after a shorter blast ends.
"""
from __future__ import annotations

import bisect
import statistics
from dataclasses import dataclass, field, replace

import numpy as np

from core.detect.whistle_features import LOCAL_HALF_WIDTH, BinLayout, FrameFeatures, frame_features
from core.detect.whistle_spectrum import below_db, blast_spectrum, median, over_floor, partials, tracked_spread
from core.dsp.stft import hann_energy_head
from core.model import Anchor, Rejection, SpectrumFrames

CHUNK_FRAMES = 1024
"""Frames processed per vectorised step (bounds memory for huge batches; a batch run's block is 1024 frames)."""
HISTORY_FRAMES = 4096
"""Frames of band history kept for onset and line-fill measurements: every frame of a candidate and of its
background is still there when it closes (> MAX_FRAMES + CHUNK_FRAMES + BACKGROUND_FRAMES[0])."""

TONAL_PROMINENCE_DB = 12.0
TONAL_CONCENTRATION = 0.40
TONAL_LOCAL_CONCENTRATION = 0.5
"""A tonal frame: peak this far over the band's mean, and one of the two concentrations this high."""
LINE_FILL_FRAMES = 256
LINE_HALF_WIDTH = 8
LINE_OVER_MEDIAN_DB = 12.0
"""A candidate too sparse in tonal frames is still judged if its line is there often enough (``_line_fill``)."""
LINE_OVER_MEDIAN = 10 ** (LINE_OVER_MEDIAN_DB / 10)
TRACE_HALF_WIDTH = 2
TRACE_GAP_FRAMES = 3
TRACE_SHARE = 1 / 4
"""A line is traced back from a candidate's first tonal frame through frames where it stands LINE_OVER_MEDIAN_DB
over its neighbourhood at TRACE_SHARE or more of its level in the first tonal frames (a crowd's line near the
whistle's pitch is fainter than the whistle, or was there long before it), moving at most TRACE_HALF_WIDTH bins a
frame, across at most TRACE_GAP_FRAMES others."""
GAP_FRAMES = 6
MAX_JUMP_HZ = 450.0
"""A tonal frame joins the open candidate if it comes within GAP_FRAMES and MAX_JUMP_HZ of its last one."""
YOUNG_FRAMES = 10
"""A tonal frame further away closes a candidate of fewer tonal frames than this and starts one of its own (a
whistle that begins with a short chirp at another pitch, or right after a crowd line), else it is skipped."""
MAX_FRAMES = 1000
"""Candidates are cut (and rejected as too long) at this many frames (8 s)."""
CORE_DB = 10.0
CORE_FRAMES = 40
"""A candidate's spectrum is the mean of its first CORE_FRAMES tonal frames within CORE_DB of its loudest."""

MIN_SECONDS = 0.08
MIN_FILL = 0.6
MIN_CONCENTRATION = 0.3
MIN_LOCAL_CONCENTRATION = 0.7
MIN_SPREAD_CONCENTRATION = 0.82
"""The peak (or, for a strongly warbling whistle, +-400 Hz around it) must hold this share of +-1 kHz."""
MIN_TRACKED_SPREAD = 0.8
"""Or, frame by frame, +-400 Hz around each frame's own peak holds this share of its +-1 kHz (median over the
loudest frames): a whistle alternating between two pitches ~400 Hz apart."""
MIN_CONCENTRATION_UNSEEN_ONSET = 0.8
"""At the very start of a stream there is no background to see an onset against: demand more."""
BAND_EDGE_HZ = (1850.0, 4450.0)
MAX_PARTIALS = 3.5
"""More partials than this around the peak (median over the loudest frames) is a voice, not a whistle..."""
MIN_PARTIAL_PERSISTENCE = 0.5
"""...if one of its partials (2 or more bins from the peak) is there, at the same offset from the peak, in at least
this share of those frames: a voice's comb holds its harmonics (the simulator's commentary 0.6-1.0, median 0.91;
the rUNSWift talking clips 0.5 and 0.69), while a crowd's noise adds local maxima anywhere near a whistle's peak
(a pea whistle with a rattle in a crowd, or a far whistle: 0.28-0.48)..."""
SYLLABLE_SECONDS = 0.2
"""...or if it is shorter than this, as a voiced syllable is (with such a comb: commentary 0.08-0.18 s, talking
0.11 and 0.19 s; whistles 0.23 s and longer)..."""
RATTLE_SECONDS = 0.25
RATTLE_CONCENTRATION = 0.8
"""...unless it lasts this long and its peak holds this share of 1-7.8 kHz: a close pea whistle's rattle
(a voiced syllable is shorter, and a voice spreads its harmonics over the whole band)."""
MIN_RISE_DB = 10.0
MIN_WIDE_RISE_DB = 5.0
"""Rise of the narrow (+-NARROW_HALF_WIDTH) and wide (+-WIDE_HALF_WIDTH) band over the background."""
MIN_WARBLE_HZ = 1.5
"""Median frame-to-frame frequency change below this is a synthetic steady tone, not a pea whistle."""
OVER_FLOOR_BARS = (0.78, 0.86, 0.8)
"""Once each spectrum's median within +-1 kHz is taken off, the local, spread and tracked concentrations a blast
must reach (one of them): higher than MIN_LOCAL_CONCENTRATION and MIN_SPREAD_CONCENTRATION, as voices'
harmonics (commentary, PA) stand out of the floor too, if less than a whistle."""
OVER_FLOOR_CLEAR_BARS = (0.74, 0.77, 0.72)
OVER_FLOOR_CLEAR_MIN_HZ = 2500.0
OVER_FLOOR_CLEAR_MAX_BELOW_DB = 0.0
OVER_FLOOR_CLEAR_MIN_SECONDS = 0.1
"""Lower bars for a blast at least OVER_FLOOR_CLEAR_MIN_SECONDS long whose line is clear of a voice's reach: at or
above OVER_FLOOR_CLEAR_MIN_HZ (commentary and PA harmonics that stand out of the floor sit at 2.1-2.47 kHz in the
simulator, at the low edge of the band), or with at most OVER_FLOOR_CLEAR_MAX_BELOW_DB over the floor below it
(``whistle_spectrum.below_db``; a voice's lower harmonics put 5-8 dB there). Crowd voices within 1 kHz keep a
whistle's own line in a loud crowd at 0.74-0.78; a voice's line higher up that gets there holds a syllable
(~90 ms in the simulator's commentary and PA). Such a blast may also rely on its line fill (``_line_fill``) when
its tonal frames are sparse."""
OVER_FLOOR_MIN_LINE_RISE_DB = 2.5
OVER_FLOOR_MAX_GLIDE_HZ = 150.0
OVER_FLOOR_MIN_HZ = 2000.0
OVER_FLOOR_MAX_BELOW_DB = 9.0
"""A blast tonal only once each spectrum's median within +-1 kHz is taken off (a whistle in a loud crowd) must
also rise this much more in its narrow band than in its wide band, keep the median pitch of its last third
within this of its first third, sit at or above this frequency, and have at most this much more energy over
the floor from 300 Hz up to ~375 Hz under it (``whistle_spectrum.below_db``) than in its line."""
HARMONIC_DB = -30.0
"""A 2nd harmonic above this (relative to the fundamental) is reported in ``freqs_hz``."""
REONSET_DB = 15.0
REONSET_FRAMES = 6
DECIDE_FRAMES = 32
"""A candidate this many frames long (0.256 s) is judged with the frames so far; a whistle is reported then."""

ONSET_AFTER = 8
BACKGROUND_FRAMES = (48, 8)
"""The background is the median over frames [start-48, start-8)."""
ONSET_LOOKBACK = 16
NARROW_HALF_WIDTH = 4
WIDE_HALF_WIDTH = 12
ONSET_NARROW_BELOW_RISE_DB = 12.0
ONSET_FRACTION = 1 / 16
ONSET_OVER_BACKGROUND_DB = 6.0
ONSET_MIN_DROP_DB = 3.0
OVER_FLOOR_ONSET_OVER_BACKGROUND_DB = 3.0
"""Onset = where the wide band's energy (the narrow band's if the wide band rose less than
ONSET_NARROW_BELOW_RISE_DB: a whistle low in a crowd) last rises through ONSET_FRACTION of its early peak (but
at least ONSET_OVER_BACKGROUND_DB over the background, OVER_FLOOR_ONSET_OVER_BACKGROUND_DB for a blast tonal
only over the crowd floor, whose line barely clears the crowd, and ONSET_MIN_DROP_DB under the peak),
interpolated between frames and corrected for where a step onset puts that share of a frame's window energy;
no later than the first tonal frame if that frame's level already exceeds ONSET_FRACTION of the early peak
(``_latest_onset``)."""


def _tonal(conc: float, local: float, spread: float, tracked: float,
           bars: tuple[float, float, float] = (MIN_LOCAL_CONCENTRATION, MIN_SPREAD_CONCENTRATION,
                                               MIN_TRACKED_SPREAD)) -> bool:
    """A blast's spectrum is concentrated enough on its peak (or on its warble spread, or frame by frame)."""
    return conc >= MIN_CONCENTRATION and (local >= bars[0] or spread >= bars[1] or tracked >= bars[2])


@dataclass(slots=True)
class _Candidate:
    start: int
    last: int
    frames: list[int] = field(default_factory=list)
    freq: list[float] = field(default_factory=list)
    level: list[float] = field(default_factory=list)
    spectra: list[np.ndarray] = field(default_factory=list)
    onset: float | None = None
    onset_over_floor: float | None = None
    """The onset measured with OVER_FLOOR_ONSET_OVER_BACKGROUND_DB, used if the blast is tonal only over the floor."""
    rise_db: float | None = None
    narrow_rise_db: float | None = None
    floor: int = 0
    """Earliest frame the onset search may use (the dip before a re-onset)."""
    early_peak: float = -np.inf
    """Loudest level before the last REONSET_FRAMES tonal frames (kept up to date as frames arrive)."""
    judged_early: bool = False
    early: Anchor | None = None
    """The whistle reported when the candidate reached DECIDE_FRAMES frames (None if not, or doubted then)."""
    line_onset: float | None = None
    """Where its line begins (``_line_onset``), once asked."""


class WhistleDetector:
    """Turns STFT power frames into whistle anchors and rejected candidates."""

    def __init__(self, rate: int, size: int, hop: int) -> None:
        self.rate = rate
        self.size = size
        self.hop = hop
        self.layout = BinLayout.for_geometry(rate, size)
        self._tail_share = 1.0 - hann_energy_head(size)[:size]
        """Share of a frame's window energy from each of its samples to its end (1 at sample 0)."""
        self._min_frames = int(np.ceil(MIN_SECONDS * rate / hop))
        self._history = np.zeros((HISTORY_FRAMES, self.layout.history[1] - self.layout.history[0]), np.float32)
        self._next = 0  # absolute index of the next frame expected
        self._cand: _Candidate | None = None

    def process(self, frames: SpectrumFrames) -> list[Anchor | Rejection]:
        """Consume a batch of consecutive frames; return the candidates that closed."""
        if len(frames) and frames.first != self._next:
            raise ValueError(f"frames start at {frames.first}, expected {self._next}")
        out: list[Anchor | Rejection] = []
        for c0 in range(0, len(frames), CHUNK_FRAMES):
            power = frames.power[c0:c0 + CHUNK_FRAMES]
            first = frames.first + c0
            self._remember(first, power)
            self._next = first + len(power)
            self._chunk(first, power, *frame_features(power, self.layout), out)
        return out

    def flush(self) -> list[Anchor | Rejection]:
        """End of stream: judge the open candidate with the frames there are."""
        out: list[Anchor | Rejection] = []
        if self._cand is not None:
            self._close(out)
        return out

    # -- state machine (runs on tonal frames only) -------------------------------------------------

    def _chunk(self, first: int, power: np.ndarray, rows: np.ndarray, ft: FrameFeatures, out: list) -> None:
        tonal = np.flatnonzero(((ft.concentration >= TONAL_CONCENTRATION)
                                | (ft.local_concentration >= TONAL_LOCAL_CONCENTRATION))
                               & (ft.prominence_db >= TONAL_PROMINENCE_DB))
        spectra = power[rows[tonal]]
        for f, freq, level, spectrum in zip((first + rows[tonal]).tolist(), ft.freq_hz[tonal].tolist(),
                                            ft.level_db[tonal].tolist(), spectra):
            cand = self._cand
            jump = cand is not None and abs(freq - cand.freq[-1]) > MAX_JUMP_HZ
            if cand is not None and (f - cand.last > GAP_FRAMES or f - cand.start >= MAX_FRAMES
                                     or (jump and len(cand.frames) < YOUNG_FRAMES)):
                self._close(out)
                cand = None
            if cand is None:
                cand = self._cand = _Candidate(start=f, last=f)
            elif jump:
                continue
            elif self._reonset(cand, level):
                cand = self._split(cand, out)
            cand.last = f
            cand.frames.append(f)
            cand.freq.append(freq)
            cand.level.append(level)
            if len(cand.level) > REONSET_FRAMES:
                cand.early_peak = max(cand.early_peak, cand.level[-REONSET_FRAMES - 1])
            cand.spectra.append(spectrum)
            self._maybe_measure(cand)
            if not cand.judged_early and f - cand.start + 1 >= DECIDE_FRAMES:
                self._judge_early(cand, out)
        cand = self._cand
        if cand is not None:
            self._maybe_measure(cand)
            if self._next - 1 - cand.last > GAP_FRAMES:
                self._close(out)

    def _maybe_measure(self, cand: _Candidate) -> None:
        """Measure the onset once the candidate is long enough to be judged and ONSET_AFTER frames exist.

        The measurement only uses frames up to ``start + ONSET_AFTER``, so when it happens never changes it.
        """
        if (cand.onset is None and cand.last - cand.start + 1 >= self._min_frames
                and self._next - 1 >= cand.start + ONSET_AFTER):
            self._measure_onset(cand)

    def _judge_early(self, cand: _Candidate, out: list) -> None:
        """Report the candidate as a whistle now if the frames so far already make it one.

        Only frames up to the current tonal frame (and the onset measured from frames up to
        ``start + ONSET_AFTER``) are used, so the decision does not depend on block sizes.
        """
        cand.judged_early = True
        result = self._judge(cand)
        if isinstance(result, Anchor):
            cand.early = result
            out.append(result)

    @staticmethod
    def _reonset(cand: _Candidate, level: float) -> bool:
        """A second blast: the level fell REONSET_DB below the earlier peak and has just risen as much."""
        if len(cand.level) <= REONSET_FRAMES:
            return False
        dip = min(cand.level[-REONSET_FRAMES:])
        return level - dip >= REONSET_DB and cand.early_peak - dip >= REONSET_DB

    def _split(self, cand: _Candidate, out: list) -> _Candidate:
        """Close ``cand`` at its recent dip; return the new candidate holding the frames after it."""
        recent = cand.level[-REONSET_FRAMES:]
        cut = len(cand.level) - REONSET_FRAMES + recent.index(min(recent))
        dip_frame = cand.frames[cut]
        dip_level = cand.level[cut]
        new = _Candidate(start=dip_frame, last=dip_frame, floor=dip_frame)
        for name in ("frames", "freq", "level", "spectra"):
            values = getattr(cand, name)
            getattr(new, name).extend(values[cut:])
            del values[cut:]
        cand.last = cand.frames[-1] if cand.frames else cand.start
        cand.line_onset = None
        new.early_peak = max(new.level[:-REONSET_FRAMES], default=-np.inf)
        self._cand = cand
        self._close(out)
        new.start = new.frames[0]
        new.rise_db = new.narrow_rise_db = max(max(new.level) - dip_level, REONSET_DB)
        self._cand = new
        return new

    def _step_offset(self, fraction: float) -> float:
        """Samples from a frame's first sample to a step onset that leaves ``fraction`` of its window energy."""
        return float(np.argmax(self._tail_share < fraction))

    def _remember(self, first: int, power: np.ndarray) -> None:
        """Copy the history bins of ``power`` (rows from frame ``first``) into the history ring."""
        h0, h1 = self.layout.history
        at = first % HISTORY_FRAMES
        head = min(len(power), HISTORY_FRAMES - at)
        self._history[at:at + head] = power[:head, h0:h1]
        self._history[:len(power) - head] = power[head:, h0:h1]

    def _measure_onset(self, cand: _Candidate) -> None:
        """Onset sample, and rise over the background, from the band energies around the frequency of the
        loudest early tonal frame (a blast's first frames may be a stray line or a glide up to its pitch)."""
        end = min(cand.start + ONSET_AFTER, self._next - 1)
        first = max(cand.start - BACKGROUND_FRAMES[0], 0, self._next - HISTORY_FRAMES)
        idx = np.arange(first, end + 1)
        rows = self._history[idx % HISTORY_FRAMES]
        loudest = max(range(bisect.bisect_right(cand.frames, end)), key=cand.level.__getitem__)
        col = int(round(cand.freq[loudest] / self.layout.hz_per_bin)) - self.layout.history[0]

        def band_db(half: int) -> np.ndarray:
            energy = rows[:, max(col - half, 0):col + half + 1].sum(axis=1, dtype=np.float64)
            return 10 * np.log10(energy + 1e-20)

        wide, narrow = band_db(WIDE_HALF_WIDTH), band_db(NARROW_HALF_WIDTH)
        rel = idx - cand.start
        background = rel < -BACKGROUND_FRAMES[1]
        seen = background.any()
        background_db, narrow_background_db = ((median(wide[background]), median(narrow[background])) if seen
                                               else (None, None))
        if cand.rise_db is None and seen:
            cand.rise_db = float(wide[rel >= 0].max() - background_db)
            cand.narrow_rise_db = float(narrow[rel >= 0].max() - narrow_background_db)
        if cand.rise_db is not None and cand.rise_db < ONSET_NARROW_BELOW_RISE_DB:
            wide, background_db = narrow, narrow_background_db
        after = np.flatnonzero(rel >= 0)
        top = int(after[np.argmax(wide[after])])
        usable = (idx >= cand.floor) & (rel >= -ONSET_LOOKBACK)

        def onset(over_background_db: float) -> float:
            threshold = wide[top] + 10 * np.log10(ONSET_FRACTION)
            if background_db is not None:
                threshold = max(threshold, background_db + over_background_db)
            threshold = min(threshold, wide[top] - ONSET_MIN_DROP_DB)
            below = np.flatnonzero(usable[:top] & (wide[:top] < threshold))
            if len(below):  # the last rise through the threshold before the peak, interpolated in dB
                j = int(below[-1]) + 1
                crossing = idx[j] - (wide[j] - threshold) / (wide[j] - wide[j - 1])
            else:  # above it as far back as we may look (stream start, or right after a re-onset dip)
                crossing = float(idx[np.argmax(usable)])
            fraction = 10 ** ((threshold - wide[top]) / 10)
            return max(crossing * self.hop + self._step_offset(fraction), 0.0)

        cand.onset = onset(ONSET_OVER_BACKGROUND_DB)
        cand.onset_over_floor = onset(OVER_FLOOR_ONSET_OVER_BACKGROUND_DB)

    def _close(self, out: list) -> None:
        cand = self._cand
        self._cand = None
        if cand.onset is None and cand.last - cand.start + 1 >= self._min_frames:
            self._measure_onset(cand)
        result = self._judge(cand)
        if cand.early is not None and not (isinstance(result, Anchor) and result.start == cand.early.start):
            out.append(replace(cand.early, end=result.end if result is not None else cand.early.end, withdrawn=True))
        if result is not None and result != cand.early:
            out.append(result)

    @staticmethod
    def _doubt_over_floor(cand: _Candidate, f0: float, freq: np.ndarray, below: float) -> str:
        """Why a blast that is tonal only over the crowd's floor is not a whistle ('' if nothing speaks against).

        Such a line may be a crowd voice's harmonic, a fan's mouth whistle, or gear noise: demand what a pea
        whistle shows and they do not. Its onset lifts the line well above its +-400 Hz neighbourhood (a
        broadband onset, voice formants or gear clatter, lifts both alike), its pitch holds (a voice or a mouth
        whistle glides), it sits above the low edge of the band where voices' harmonics crowd, and what stands
        over the floor below it (``below``, dB relative to the line: a voice's lower harmonics) is not much more.
        """
        if cand.rise_db is None:
            return "its onset is not seen"
        if cand.narrow_rise_db - cand.rise_db < OVER_FLOOR_MIN_LINE_RISE_DB:
            return f"its onset is broadband (line rise {cand.narrow_rise_db:.1f} dB, band {cand.rise_db:.1f} dB)"
        third = max(len(freq) // 3, 1)
        glide = median(freq[-third:]) - median(freq[:third])
        if abs(glide) > OVER_FLOOR_MAX_GLIDE_HZ:
            return f"its pitch glides ({glide:+.0f} Hz)"
        if f0 < OVER_FLOOR_MIN_HZ:
            return f"it sits low in the band ({f0:.0f} Hz)"
        if below > OVER_FLOOR_MAX_BELOW_DB:
            return f"more stands out below it ({below:+.1f} dB), as under a voice's harmonic"
        return ""

    def _line_fill(self, cand: _Candidate) -> float:
        """Share of the candidate's first LINE_FILL_FRAMES frames in which a line within +-LINE_HALF_WIDTH bins of
        its median pitch stands LINE_OVER_MEDIAN_DB over the median of the kept bins within +-1 kHz: a whistle
        in a crowd is there in frames that fail the per-frame tonal test, as the crowd's whole band outweighs
        its line. A blast tonal only over the crowd floor may rely on it only if clear of a voice's reach."""
        frames = np.arange(cand.start, min(cand.last, cand.start + LINE_FILL_FRAMES - 1) + 1)
        rows = self._history[frames % HISTORY_FRAMES]
        k = int(round(statistics.median(cand.freq) / self.layout.hz_per_bin)) - self.layout.history[0]
        line = rows[:, max(k - LINE_HALF_WIDTH, 0):k + LINE_HALF_WIDTH + 1].max(axis=1)
        floor = np.median(rows[:, max(k - LOCAL_HALF_WIDTH, 0):k + LOCAL_HALF_WIDTH + 1], axis=1)
        return float(np.mean(line >= floor * LINE_OVER_MEDIAN))

    def _latest_onset(self, cand: _Candidate) -> float:
        """The latest a candidate's onset may be: where its line begins (``_line_onset``), if its first tonal frame
        (the median of the first three) already exceeds ONSET_FRACTION of the early peak, so its level had risen
        through that share by then (in a loud crowd the band energy rises ONSET_OVER_BACKGROUND_DB over the
        background only later); else no bound (its first tonal frames may be a faint line before the blast)."""
        early = cand.level[:bisect.bisect_right(cand.frames, cand.start + ONSET_AFTER)]
        if statistics.median(early[:3]) < max(early) + 10 * np.log10(ONSET_FRACTION):
            return np.inf
        if cand.line_onset is None:
            cand.line_onset = self._line_onset(cand)
        return cand.line_onset

    def _line_onset(self, cand: _Candidate) -> float:
        """Where the candidate's line begins, traced back from its first tonal frame: through frames whose strongest
        bin within +-TRACE_HALF_WIDTH bins of the line's pitch in the next frame stands LINE_OVER_MEDIAN_DB over the
        median of the kept bins within +-1 kHz, across at most TRACE_GAP_FRAMES failing frames (a whistle gliding up
        to its pitch in a crowd shows its line before its frames are tonal). In the first frame of the line, the
        onset sits where a step leaves the share of the window's energy that the line there holds of its level in
        the first tonal frames. A line that does not end within ONSET_LOOKBACK frames was there before the blast
        (a crowd's or a machine's): then the first tonal frame's middle."""
        h0 = self.layout.history[0]
        full = None  # the line's level in the first tonal frames, over the median: needed once a frame stands out
        k = int(round(cand.freq[0] / self.layout.hz_per_bin)) - h0
        first, gap, share = cand.start, 0, 0.5
        limit = max(cand.floor, cand.start - ONSET_LOOKBACK, self._next - HISTORY_FRAMES)
        for frame in range(cand.start - 1, limit - 1, -1):
            k, peak, floor = self._line(frame, k)
            if peak >= floor * LINE_OVER_MEDIAN:
                if full is None:
                    full = max(max(p - m for _, p, m in (self._line(f, int(round(hz / self.layout.hz_per_bin)) - h0)
                                                          for f, hz in zip(cand.frames[:3], cand.freq))), 1e-20)
                if peak - floor >= TRACE_SHARE * full:
                    first, gap, share = frame, 0, min((peak - floor) / full, 0.5)
                    continue
            gap += 1
            if gap > TRACE_GAP_FRAMES:
                return first * self.hop + self._step_offset(share)
        return cand.start * self.hop + self._step_offset(0.5)

    def _line(self, frame: int, k: int) -> tuple[int, float, float]:
        """In ``frame`` (kept in the history), the strongest bin within +-TRACE_HALF_WIDTH of history column ``k``:
        its column, its power, and the median power of the kept bins within +-1 kHz of it."""
        row = self._history[frame % HISTORY_FRAMES]
        lo = max(k - TRACE_HALF_WIDTH, 0)
        k = lo + int(row[lo:k + TRACE_HALF_WIDTH + 1].argmax())
        return k, float(row[k]), median(row[max(k - LOCAL_HALF_WIDTH, 0):k + LOCAL_HALF_WIDTH + 1])

    def _judge(self, cand: _Candidate) -> Anchor | Rejection | None:
        if len(cand.frames) < 3:
            return None
        end = cand.last * self.hop + self.size // 2 + self.hop
        span = cand.last - cand.start + 1
        seconds = span * self.hop / self.rate
        if span < self._min_frames:
            return Rejection("whistle", cand.start * self.hop + int(self._step_offset(0.5)), end,
                             f"too short ({seconds * 1000:.0f} ms)")
        start = min(int(round(cand.onset)), self._latest_onset(cand))
        fill = len(cand.frames) / span

        def reject(reason: str) -> Rejection:
            return Rejection("whistle", start, end, reason)

        if span >= MAX_FRAMES:
            return reject(f"too long for a blast ({seconds:.1f} s)")
        if fill < MIN_FILL:
            line_fill = self._line_fill(cand)
            if line_fill < MIN_FILL:
                return reject(f"not tonal enough (fill {fill:.2f}, line fill {line_fill:.2f})")
        if cand.rise_db is not None and (cand.narrow_rise_db < MIN_RISE_DB or cand.rise_db < MIN_WIDE_RISE_DB):
            return reject(f"steady hum without onset (rise {cand.narrow_rise_db:.1f} dB)")
        level = np.asarray(cand.level)
        core = np.flatnonzero(level >= level.max() - CORE_DB)[:CORE_FRAMES]
        freq = np.asarray(cand.freq)
        core_spectra = np.asarray([cand.spectra[i] for i in core])
        mean, f_track = core_spectra.mean(axis=0), median(freq[core])
        spectrum = blast_spectrum(mean, f_track, self.layout)
        f0 = spectrum.freq_hz
        conc, local, spread = spectrum.concentration, spectrum.local_concentration, spectrum.spread_concentration
        if not BAND_EDGE_HZ[0] <= f0 <= BAND_EDGE_HZ[1]:
            return reject(f"out of band ({f0:.0f} Hz)")
        tracked = tracked_spread(core_spectra, freq[core], self.layout)
        if not _tonal(conc, local, spread, tracked):
            over_mean = over_floor(mean[None], np.array([f_track]), self.layout)[0]
            over = blast_spectrum(over_mean, f_track, self.layout)
            over_tracked = tracked_spread(over_floor(core_spectra, freq[core], self.layout), freq[core], self.layout)
            below = below_db(over_mean, f0, self.layout)
            clear = seconds >= OVER_FLOOR_CLEAR_MIN_SECONDS and (f0 >= OVER_FLOOR_CLEAR_MIN_HZ
                                                                 or below <= OVER_FLOOR_CLEAR_MAX_BELOW_DB)
            if not _tonal(over.concentration, over.local_concentration, over.spread_concentration, over_tracked,
                          OVER_FLOOR_CLEAR_BARS if clear else OVER_FLOOR_BARS):
                return reject(f"not tonal enough (concentration {local:.2f} within 1 kHz ({spread:.2f} with warble "
                              f"spread, {tracked:.2f} tracking the peak), {conc:.2f} over 1-7.8 kHz; over the "
                              f"floor {over.local_concentration:.2f}, {over.spread_concentration:.2f}, "
                              f"{over_tracked:.2f}, {over.concentration:.2f})")
            doubt = ("its tonal frames are sparse" if fill < MIN_FILL and not clear
                     else self._doubt_over_floor(cand, f0, freq, below))
            if doubt:
                return reject(f"tonal only over the crowd floor, and {doubt}")
            local, spread, tracked = over.local_concentration, over.spread_concentration, over_tracked
            start = min(int(round(cand.onset_over_floor)), self._latest_onset(cand))
        comb = partials(core_spectra, freq[core], self.layout)
        if (comb.count > MAX_PARTIALS
                and (comb.persistence >= MIN_PARTIAL_PERSISTENCE or seconds < SYLLABLE_SECONDS)
                and (seconds < RATTLE_SECONDS or conc < RATTLE_CONCENTRATION)):
            return reject(f"voice-like comb of partials ({comb.count:.1f} near the peak, one in "
                          f"{comb.persistence:.0%} of frames)")
        if cand.rise_db is None and conc < MIN_CONCENTRATION_UNSEEN_ONSET:
            return reject(f"onset not seen (stream start) and concentration {conc:.2f} too low")
        warble = median(np.abs(np.diff(freq)))
        if warble < MIN_WARBLE_HZ:
            return reject(f"steady tone without warble ({warble:.1f} Hz)")
        freqs = [round(f0, 1)]
        if spectrum.harmonic_db > HARMONIC_DB:
            freqs.append(round(2 * f0, 1))
        rise = cand.narrow_rise_db if cand.narrow_rise_db is not None else 2 * MIN_RISE_DB
        confidence = float(np.clip(0.5 + 0.5 * min(max((local - MIN_LOCAL_CONCENTRATION) / 0.2,
                                                        (spread - MIN_SPREAD_CONCENTRATION) / 0.1,
                                                        (tracked - MIN_TRACKED_SPREAD) / 0.1),
                                                    (rise - MIN_RISE_DB) / 15.0,
                                                    (seconds - MIN_SECONDS) / 0.2), 0.0, 1.0))
        return Anchor("whistle", start, end, round(confidence, 3), tuple(freqs))

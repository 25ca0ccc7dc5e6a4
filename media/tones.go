package media

import (
	"math"
	"time"
)

// fade is how long Tone ramps in and out: long enough that the start and end
// do not click, short enough not to be heard as a swell.
const fade = 10 * time.Millisecond

// Tone returns a sine tone of freqHz lasting d, at peak amplitude level (0
// to 1 of full scale), ramped in and out with a raised cosine.
func Tone(freqHz float64, d time.Duration, level float64) *Clip {
	pcm := make([]float64, sampleCount(d))
	level = min(max(level, 0), 1)
	for i := range pcm {
		pcm[i] = level * math.Sin(2*math.Pi*freqHz*float64(i)/Rate)
	}
	ramp(pcm, sampleCount(fade))
	return NewClip(quantize(pcm, 1))
}

// Silence returns d of silence.
func Silence(d time.Duration) *Clip { return NewClip(make([]int16, sampleCount(d))) }

// Beep returns the tone that tells a caller to leave a message after it:
// 1000 Hz for half a second at -10 dBFS.
func Beep() *Clip { return Tone(1000, 500*time.Millisecond, math.Pow(10, -10.0/20)) }

// HoldMusic returns 24 seconds of gentle music for a caller on hold: an
// arpeggio of soft, plucked tones over a slow pad and bass, through eight
// chords that lead back to the first, at about -18 dBFS. Played again and
// again it loops without a seam: notes still ringing at the end carry on at
// the start. It is the same every time; callers keep one.
func HoldMusic() *Clip {
	const (
		chordLen = 3 * time.Second
		beats    = 8 // arpeggio notes a chord
	)
	// Each chord: its bass note and four notes, as MIDI numbers.
	chords := [...]struct {
		bass  int
		notes [4]int
	}{
		{48, [4]int{60, 64, 67, 71}}, // Cmaj7
		{45, [4]int{57, 60, 64, 67}}, // Am7
		{50, [4]int{62, 65, 69, 72}}, // Dm7
		{43, [4]int{55, 59, 62, 65}}, // G7
		{48, [4]int{60, 64, 67, 71}}, // Cmaj7
		{41, [4]int{53, 57, 60, 64}}, // Fmaj7
		{50, [4]int{62, 65, 69, 72}}, // Dm7
		{43, [4]int{55, 59, 62, 65}}, // G7, back to C
	}
	// Up and down, then a broken figure in the second half for variety;
	// 4 is the lowest note an octave up.
	patterns := [2][beats]int{{0, 1, 2, 3, 4, 3, 2, 1}, {0, 2, 1, 3, 2, 4, 3, 1}}

	n := sampleCount(chordLen) * len(chords)
	mix := make([]float64, n)
	add := func(at int, s []float64) { // wraps round: the loop has no seam
		for i, v := range s {
			mix[(at+i)%n] += v
		}
	}
	per := sampleCount(chordLen)
	step := per / beats
	for c, ch := range chords {
		at := c * per
		pattern := patterns[c/(len(chords)/2)]
		for b, k := range pattern {
			note := ch.notes[k%4] + 12*(1+k/4)
			add(at+b*step, pluck(midiHz(note), 1.6, 0.35, 0.22))
		}
		for _, note := range ch.notes {
			add(at, pad(midiHz(note), chordLen, 0.045))
		}
		add(at, pluck(midiHz(ch.bass), 3.2, 1.2, 0.28))
	}
	return NewClip(quantize(mix, rmsFor(mix, -18)))
}

// pluck is a soft electric-piano-like note: a fast attack and an exponential
// decay with time constant tau (seconds), lasting length seconds, the upper
// harmonics dying first.
func pluck(hz, length, tau, level float64) []float64 {
	s := make([]float64, int(length*Rate))
	for i := range s {
		t := float64(i) / Rate
		w := 2 * math.Pi * hz * t
		v := math.Sin(w) + 0.3*math.Exp(-t/0.2)*math.Sin(2*w)
		if 3*hz < 3400 { // keep within the telephone band and below Nyquist
			v += 0.1 * math.Exp(-t/0.1) * math.Sin(3*w)
		}
		s[i] = level * math.Exp(-t/tau) * v
	}
	ramp(s, Rate/100)
	return s
}

// pad is a sustained sine swelling in and out over d, overlapping the next
// chord a little so chords blend.
func pad(hz float64, d time.Duration, level float64) []float64 {
	s := make([]float64, sampleCount(d)+Rate/2)
	for i := range s {
		s[i] = level * math.Sin(2*math.Pi*hz*float64(i)/Rate)
	}
	ramp(s, Rate*3/5)
	return s
}

// ramp fades s in and out over n samples each with a raised cosine.
func ramp(s []float64, n int) {
	n = min(n, len(s)/2)
	for i := range n {
		g := 0.5 - 0.5*math.Cos(math.Pi*float64(i)/float64(n))
		s[i] *= g
		s[len(s)-1-i] *= g
	}
}

// rmsFor returns the gain that brings s to dbfs, where a full-scale sine
// is 0 dBFS.
func rmsFor(s []float64, dbfs float64) float64 {
	var sum float64
	for _, v := range s {
		sum += v * v
	}
	rms := math.Sqrt(sum / float64(len(s)))
	if rms == 0 {
		return 1
	}
	return math.Pow(10, dbfs/20) / math.Sqrt2 / rms
}

// quantize scales s by gain to 16-bit samples, clipping what overshoots.
func quantize(s []float64, gain float64) []int16 {
	pcm := make([]int16, len(s))
	for i, v := range s {
		pcm[i] = int16(math.Round(min(max(v*gain*32767, -32768), 32767)))
	}
	return pcm
}

func midiHz(note int) float64 { return 440 * math.Pow(2, float64(note-69)/12) }

func sampleCount(d time.Duration) int { return int(max(d, 0) / (time.Second / Rate)) }

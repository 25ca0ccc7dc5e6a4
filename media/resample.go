package media

import "math"

// The resampling filter: a Kaiser-windowed sinc low-pass centred on 3.6 kHz.
// With 24 zero crossings each side and beta 6.8 (about 70 dB of stop-band
// attenuation) its transition runs from about 3.3 to 3.9 kHz, so the
// telephone band (300-3400 Hz) passes and what lies above 4 kHz, which would
// fold back into it at 8 kHz, is removed.
const (
	lowPassCutoff     = 3600
	lowPassZeros      = 24  // zero crossings of the sinc each side of the centre
	lowPassOversample = 512 // table points per zero crossing
	lowPassBeta       = 6.8
	// Up to this many distinct phases (8000 / gcd(rate, 8000)) the filter
	// for each is computed once; 22.05, 44.1 and 11.025 kHz need 160, 80
	// and 320.
	lowPassMaxPhases = 1024
)

// resampleTo8k converts x, sampled at rate, to Rate.
func resampleTo8k(x []float32, rate int) []int16 {
	if rate == Rate {
		out := make([]int16, len(x))
		for i, v := range x {
			out[i] = roundInt16(float64(v))
		}
		return out
	}
	g := rateGCD(rate, Rate)
	up, down := int64(Rate/g), int64(rate/g) // output sample i sits at input i*down/up
	out := make([]int16, int64(len(x))*up/down)
	k := newLowPass(rate)
	var phases [][]float32
	var firsts []int
	if up <= lowPassMaxPhases {
		phases, firsts = make([][]float32, up), make([]int, up)
	}
	scratch := make([]float32, 0, k.taps())
	for i := range out {
		pos := int64(i) * down
		centre, phase := int(pos/up), pos%up
		var w []float32
		var first int
		if phases != nil && phases[phase] != nil {
			w, first = phases[phase], firsts[phase]
		} else {
			first, w = k.weights(float64(phase)/float64(up), scratch[:0])
			if phases != nil {
				phases[phase], firsts[phase] = append([]float32(nil), w...), first
			}
		}
		base := centre + first
		lo, hi := max(0, -base), min(len(w), len(x)-base)
		var acc float64
		for j := lo; j < hi; j++ {
			acc += float64(w[j] * x[base+j])
		}
		out[i] = roundInt16(acc)
	}
	return out
}

// lowPass is the low-pass filter for one input rate.
type lowPass struct {
	table []float64 // windowed sinc by zero crossing, oversampled
	scale float64   // zero crossings per input sample
	half  float64   // half the filter's length, in input samples
}

func newLowPass(rate int) lowPass {
	k := lowPass{table: make([]float64, lowPassZeros*lowPassOversample+1), scale: 2 * lowPassCutoff / float64(rate)}
	k.half = lowPassZeros / k.scale
	i0beta := besselI0(lowPassBeta)
	for i := range k.table[:len(k.table)-1] {
		u := float64(i) / lowPassOversample
		sinc := 1.0
		if i > 0 {
			sinc = math.Sin(math.Pi*u) / (math.Pi * u)
		}
		r := u / lowPassZeros
		k.table[i] = sinc * besselI0(lowPassBeta*math.Sqrt(1-r*r)) / i0beta
	}
	return k
}

func (k lowPass) taps() int { return int(2*k.half) + 2 }

// weights appends to w the filter taps for an output sample frac of an
// input sample after an input sample c; the first applies to input c+first.
// They are normalised to sum to 1, so that no phase changes the level.
func (k lowPass) weights(frac float64, w []float32) (first int, _ []float32) {
	first = int(math.Ceil(frac - k.half))
	last := int(math.Floor(frac + k.half))
	var sum float64
	for m := first; m <= last; m++ {
		p := math.Abs(frac-float64(m)) * k.scale * lowPassOversample
		j := int(p)
		var v float64
		if j < len(k.table)-1 {
			v = k.table[j] + (p-float64(j))*(k.table[j+1]-k.table[j])
		}
		w = append(w, float32(v))
		sum += v
	}
	for i := range w {
		w[i] = float32(float64(w[i]) / sum)
	}
	return first, w
}

// besselI0 is the modified Bessel function of the first kind, order 0.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; term > 1e-12*sum; k++ {
		f := x / (2 * float64(k))
		term *= f * f
		sum += term
	}
	return sum
}

func rateGCD(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func roundInt16(v float64) int16 {
	v = math.Round(v)
	switch {
	case v > math.MaxInt16:
		return math.MaxInt16
	case v < math.MinInt16:
		return math.MinInt16
	}
	return int16(v)
}

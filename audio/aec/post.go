package aec

import "math"

// postFilter is the residual echo suppressor: a spectral gain on the
// canceller's output, computed from the echo the linear filter estimates and
// how much of it leaks past the filter (the leak estimate), with a slow
// noise-floor estimate so that background noise is left alone. It works on
// 50%-overlapped windows of two frames and so delays the output by a frame.
type postFilter struct {
	n, l                   int
	win                    []float64 // sqrt-Hann analysis and synthesis
	buf                    []float64 // [previous, current] output
	tmp                    []float64
	over                   []float64 // overlap from the last synthesis
	spec, ey               []complex128
	ps, echo, noise, oldPs []float64
	gain                   []float64
	floorIdle, floorActive float64
	frames                 int
}

func newPostFilter(c *Canceller) *postFilter {
	n, l, k := c.n, c.l, c.k
	p := &postFilter{
		n: n, l: l,
		win:  make([]float64, l),
		buf:  make([]float64, l),
		tmp:  make([]float64, l),
		over: make([]float64, n),
		spec: make([]complex128, k),
		ey:   make([]complex128, k),
		ps:   make([]float64, k), echo: make([]float64, k),
		noise: make([]float64, k), oldPs: make([]float64, k),
		gain:        make([]float64, k),
		floorIdle:   math.Pow(10, c.cfg.EchoSuppress/10),
		floorActive: math.Pow(10, c.cfg.EchoSuppressActive/10),
	}
	for i := range p.win {
		p.win[i] = math.Sqrt(0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(l)))
	}
	return p
}

func (p *postFilter) reset() {
	clear(p.buf)
	clear(p.over)
	clear(p.echo)
	clear(p.noise)
	clear(p.oldPs)
	for i := range p.gain {
		p.gain[i] = 1
	}
	p.frames = 0
}

// process suppresses the residual echo in out, in place.
func (p *postFilter) process(c *Canceller, out []int16) {
	n := p.n
	copy(p.buf[:n], p.buf[n:])
	for i := 0; i < n; i++ {
		p.buf[n+i] = float64(out[i])
	}
	for i := range p.tmp {
		p.tmp[i] = p.buf[i] * p.win[i]
	}
	c.fft.forward(p.tmp, p.spec)
	powerSpectrum(p.spec, p.ps)

	// Residual echo: the echo estimate's spectrum times the leak.
	for i := range p.tmp {
		p.tmp[i] = c.lastY[i] * p.win[i]
	}
	c.fft.forward(p.tmp, p.ey)
	leak2 := 2 * c.leak
	if leak2 > 1 {
		leak2 = 1
	}
	p.frames++
	var sumPost float64
	for i := range p.ps {
		r := leak2 * (real(p.ey[i])*real(p.ey[i]) + imag(p.ey[i])*imag(p.ey[i]))
		if e := 0.6 * p.echo[i]; e > r {
			r = e
		}
		p.echo[i] = r
		// Noise floor: quick to fall, slow to rise.
		switch {
		case p.frames < 10:
			p.noise[i] += (p.ps[i] - p.noise[i]) / float64(p.frames)
		case p.ps[i] < p.noise[i]:
			p.noise[i] = 0.8*p.noise[i] + 0.2*p.ps[i]
		default:
			p.noise[i] *= 1.01
			if p.noise[i] > p.ps[i] {
				p.noise[i] = p.ps[i]
			}
		}
		sumPost += p.ps[i] / (1 + p.noise[i] + 2*r)
	}
	// Near-end presence: the output holds much more than noise and echo.
	active := sumPost > 4*float64(len(p.ps))
	// Over-estimate the residual echo 8 times (9 dB) while the near end is
	// silent, where suppressing more costs nothing, and 1.5 times while it
	// talks, to spare it.
	ef, beta := p.floorIdle, 8.0
	if active {
		ef, beta = p.floorActive, 1.5
	}
	for i := range p.ps {
		tot := 1 + p.noise[i] + beta*p.echo[i]
		post := p.ps[i]/tot - 1
		if post < 0 {
			post = 0
		}
		if post > 100 {
			post = 100
		}
		old := p.oldPs[i] / tot
		g := p.oldPs[i] / (p.oldPs[i] + tot)
		gamma := 0.1 + 0.89*g*g
		prior := gamma*post + (1-gamma)*old
		if prior > 100 {
			prior = 100
		}
		gain := prior / (1 + prior)
		floor := math.Sqrt((p.noise[i] + ef*p.echo[i]) / (1 + p.ps[i]))
		if gain < floor {
			gain = floor
		}
		if gain > 1 {
			gain = 1
		}
		p.gain[i] = gain
		p.oldPs[i] = gain * gain * p.ps[i]
		p.spec[i] *= complex(gain, 0)
	}
	c.fft.inverse(p.spec, p.tmp)
	for i := 0; i < n; i++ {
		v := p.over[i] + p.tmp[i]*p.win[i]
		p.over[i] = p.tmp[n+i] * p.win[n+i]
		out[i] = sat16(v)
	}
}

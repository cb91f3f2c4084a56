package aec

import (
	"math"
	"math/cmplx"
)

// cfft is a mixed-radix (2, 3, 4, 5) Stockham complex FFT of a fixed size,
// with its twiddles and scratch allocated once.
type cfft struct {
	n      int
	stages []fftStage
	work   []complex128
}

type fftStage struct {
	p, m, s int
	tw      []complex128 // tw[i*p+r] = exp(-2πi·i·r/(m·p))
	root    [5]complex128
}

func newCFFT(n int) *cfft {
	f := &cfft{n: n, work: make([]complex128, n)}
	rest, s := n, 1
	for rest > 1 {
		p := 0
		switch {
		case rest%4 == 0:
			p = 4
		case rest%2 == 0:
			p = 2
		case rest%5 == 0:
			p = 5
		case rest%3 == 0:
			p = 3
		case rest%5 == 0:
			p = 5
		default:
			panic("aec: FFT size must factor into 2, 3 and 5")
		}
		m := rest / p
		st := fftStage{p: p, m: m, s: s, tw: make([]complex128, m*p)}
		for i := 0; i < m; i++ {
			for r := 0; r < p; r++ {
				st.tw[i*p+r] = cmplx.Exp(complex(0, -2*math.Pi*float64(i*r)/float64(rest)))
			}
		}
		for r := 0; r < p; r++ {
			st.root[r] = cmplx.Exp(complex(0, -2*math.Pi*float64(r)/float64(p)))
		}
		f.stages = append(f.stages, st)
		rest, s = m, s*p
	}
	return f
}

// forward replaces x with its unnormalised DFT.
func (f *cfft) forward(x []complex128) {
	a, b := x[:f.n], f.work
	for k := range f.stages {
		st := &f.stages[k]
		p, m, s := st.p, st.m, st.s
		switch p {
		case 2:
			for i := 0; i < m; i++ {
				w := st.tw[i*2+1]
				for q := 0; q < s; q++ {
					u, v := a[q+s*i], a[q+s*(i+m)]
					b[q+s*(2*i)] = u + v
					b[q+s*(2*i+1)] = (u - v) * w
				}
			}
		case 4:
			for i := 0; i < m; i++ {
				w1, w2, w3 := st.tw[i*4+1], st.tw[i*4+2], st.tw[i*4+3]
				for q := 0; q < s; q++ {
					a0, a1, a2, a3 := a[q+s*i], a[q+s*(i+m)], a[q+s*(i+2*m)], a[q+s*(i+3*m)]
					t0, t1 := a0+a2, a0-a2
					t2, t3 := a1+a3, a1-a3
					t3 = complex(imag(t3), -real(t3)) // -i·t3
					o := q + s*(4*i)
					b[o] = t0 + t2
					b[o+s] = (t1 + t3) * w1
					b[o+2*s] = (t0 - t2) * w2
					b[o+3*s] = (t1 - t3) * w3
				}
			}
		case 5:
			c1, c2 := math.Cos(2*math.Pi/5), math.Cos(4*math.Pi/5)
			s1, s2 := math.Sin(2*math.Pi/5), math.Sin(4*math.Pi/5)
			for i := 0; i < m; i++ {
				tw := st.tw[i*5 : i*5+5]
				for q := 0; q < s; q++ {
					a0, a1, a2, a3, a4 := a[q+s*i], a[q+s*(i+m)], a[q+s*(i+2*m)], a[q+s*(i+3*m)], a[q+s*(i+4*m)]
					t1, t2, t3, t4 := a1+a4, a2+a3, a1-a4, a2-a3
					b1 := a0 + complex(c1, 0)*t1 + complex(c2, 0)*t2
					b2 := a0 + complex(c2, 0)*t1 + complex(c1, 0)*t2
					u1 := complex(s1, 0)*t3 + complex(s2, 0)*t4
					u2 := complex(s2, 0)*t3 - complex(s1, 0)*t4
					u1 = complex(imag(u1), -real(u1)) // -i·u1
					u2 = complex(imag(u2), -real(u2))
					o := q + s*(5*i)
					b[o] = a0 + t1 + t2
					b[o+s] = (b1 + u1) * tw[1]
					b[o+2*s] = (b2 + u2) * tw[2]
					b[o+3*s] = (b2 - u2) * tw[3]
					b[o+4*s] = (b1 - u1) * tw[4]
				}
			}
		default:
			var in [5]complex128
			for i := 0; i < m; i++ {
				for q := 0; q < s; q++ {
					for j := 0; j < p; j++ {
						in[j] = a[q+s*(i+m*j)]
					}
					for r := 0; r < p; r++ {
						var y complex128
						for j := 0; j < p; j++ {
							y += in[j] * st.root[(j*r)%p]
						}
						b[q+s*(p*i+r)] = y * st.tw[i*p+r]
					}
				}
			}
		}
		a, b = b, a
	}
	if len(f.stages)%2 == 1 {
		copy(x[:f.n], a)
	}
}

// rfft transforms real blocks of even length L = 2n with the speex
// convention: the forward transform is scaled by 1/L, the inverse is not,
// and only bins 0..n (n+1 of them) are kept.
type rfft struct {
	l, n int
	c    *cfft
	z    []complex128
	w    []complex128 // exp(-2πik/L), k = 0..n
}

func newRFFT(l int) *rfft {
	n := l / 2
	r := &rfft{l: l, n: n, c: newCFFT(n), z: make([]complex128, n), w: make([]complex128, n+1)}
	for k := range r.w {
		r.w[k] = cmplx.Exp(complex(0, -2*math.Pi*float64(k)/float64(l)))
	}
	return r
}

// forward sets X[0..n] to the spectrum of the real block x (length L).
func (r *rfft) forward(x []float64, X []complex128) {
	n, z := r.n, r.z
	for i := 0; i < n; i++ {
		z[i] = complex(x[2*i], x[2*i+1])
	}
	r.c.forward(z)
	scale := complex(0.5/float64(r.l), 0)
	for k := 0; k <= n; k++ {
		zk := z[k%n]
		zc := cmplx.Conj(z[(n-k)%n])
		fe := zk + zc
		fo := zk - zc
		fo = complex(imag(fo), -real(fo)) // -i·(zk-zc)
		X[k] = (fe + r.w[k]*fo) * scale
	}
}

// inverse sets the real block x (length L) from its bins X[0..n].
func (r *rfft) inverse(X []complex128, x []float64) {
	n, z := r.n, r.z
	for k := 0; k < n; k++ {
		xc := cmplx.Conj(X[n-k])
		fe := X[k] + xc
		fo := (X[k] - xc) * cmplx.Conj(r.w[k])
		// Z = fe + i·fo; conjugate now for the inverse through forward.
		zz := fe + complex(-imag(fo), real(fo))
		z[k] = cmplx.Conj(zz)
	}
	r.c.forward(z)
	for i := 0; i < n; i++ {
		x[2*i] = real(z[i])
		x[2*i+1] = -imag(z[i])
	}
}

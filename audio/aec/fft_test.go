package aec

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

func TestRFFT(t *testing.T) {
	for _, l := range []int{320, 640, 64, 48, 90, 250} {
		r := newRFFT(l)
		rng := rand.New(rand.NewPCG(1, uint64(l)))
		x := make([]float64, l)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		X := make([]complex128, l/2+1)
		r.forward(x, X)
		for k := 0; k <= l/2; k++ {
			var want complex128
			for i, v := range x {
				want += complex(v, 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(k*i)/float64(l)))
			}
			want /= complex(float64(l), 0)
			if cmplx.Abs(want-X[k]) > 1e-9 {
				t.Fatalf("L=%d bin %d: got %v want %v", l, k, X[k], want)
			}
		}
		y := make([]float64, l)
		r.inverse(X, y)
		for i := range x {
			if math.Abs(x[i]-y[i]) > 1e-9 {
				t.Fatalf("L=%d sample %d: got %v want %v", l, i, y[i], x[i])
			}
		}
	}
}

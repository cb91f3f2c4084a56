package digest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"sync"

	"intercom/sipua/message"
)

// ErrRejected is returned by Client.Challenged when a request that carried
// credentials for a realm is challenged again for that realm without
// stale=true: the server refused the credentials themselves, so retrying
// with them is pointless.
var ErrRejected = errors.New("digest: credentials rejected")

// maxRealms bounds the realms a Client keeps challenges for; a response
// that names more only pushes out the oldest.
const maxRealms = 8

// Client answers the challenges that a user agent's requests meet, with
// one set of Credentials. It keeps, per realm, the last challenge chosen
// and the nonce count sent with its nonce, so that later requests carry
// credentials before they are challenged (RFC 3261 §22): the count goes
// up by one with each request and starts again at 1 with a new nonce.
// Each request gets a fresh random cnonce.
//
// A Client is safe for concurrent use. Requests authorized concurrently get
// distinct nonce counts, but may be sent in another order than their
// counts; a server that insists on increasing counts may then refuse one.
type Client struct {
	cred Credentials

	mu     sync.Mutex
	realms []clientRealm // in the order first challenged
}

// clientRealm is the state of one realm that challenged the client.
type clientRealm struct {
	proxy bool // from Proxy-Authenticate: answered in Proxy-Authorization
	ch    Challenge
	nc    uint32 // the last nonce count sent with ch.Nonce
}

// NewClient returns a Client that authenticates with cred.
func NewClient(cred Credentials) *Client {
	return &Client{cred: cred}
}

// Challenged takes in resp, a 401 or 407 response to req, and keeps the
// challenges to answer from its WWW-Authenticate and Proxy-Authenticate
// header fields (see Choose), replacing those it had for the same realms.
// req may be nil if the refused request is not at hand.
//
// On a nil error the caller sends req again (with a new CSeq) through
// Authorize, without asking the user for anything. stale reports that a
// challenge had stale=true: the nonce had only expired. The error is
// ErrRejected, wrapped, when req carried credentials for a realm that
// challenges again without stale=true, and says why otherwise (no Digest
// challenge, only unsupported algorithms, or realms other than the
// Credentials' Realm); the Client is then unchanged.
func (c *Client) Challenged(req, resp *message.Message) (stale bool, err error) {
	www, errWWW := Choose(resp.Values("WWW-Authenticate"))
	proxy, errProxy := Choose(resp.Values("Proxy-Authenticate"))
	if len(www) == 0 && len(proxy) == 0 {
		if errors.Is(errWWW, errNoChallenge) {
			return false, errProxy
		}
		return false, errWWW
	}
	var picked []clientRealm
	var other string
	for i, chs := range [2][]Challenge{www, proxy} {
		isProxy := i == 1
		for _, ch := range chs {
			if c.cred.Realm != "" && ch.Realm != c.cred.Realm {
				other = ch.Realm
				continue
			}
			if !ch.Stale && carried(req, isProxy, ch.Realm) {
				return false, fmt.Errorf("%w for realm %s", ErrRejected, quote(ch.Realm))
			}
			stale = stale || ch.Stale
			picked = append(picked, clientRealm{proxy: isProxy, ch: ch})
		}
	}
	if len(picked) == 0 {
		return false, fmt.Errorf("digest: no credentials for realm %s", quote(other))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range picked {
		c.keep(p)
	}
	return stale, nil
}

// keep stores the challenge of p, keeping the nonce count if the nonce is
// the one already kept for the realm.
func (c *Client) keep(p clientRealm) {
	for i := range c.realms {
		r := &c.realms[i]
		if r.proxy == p.proxy && r.ch.Realm == p.ch.Realm {
			if r.ch.Nonce == p.ch.Nonce {
				p.nc = r.nc
			}
			*r = p
			return
		}
	}
	if len(c.realms) == maxRealms {
		c.realms = append(c.realms[:0], c.realms[1:]...)
	}
	c.realms = append(c.realms, p)
}

// carried reports whether req has credentials for realm in its
// Authorization (or, for a proxy, Proxy-Authorization) header fields.
func carried(req *message.Message, proxy bool, realm string) bool {
	if req == nil {
		return false
	}
	name := "Authorization"
	if proxy {
		name = "Proxy-Authorization"
	}
	for v := range req.Values(name) {
		if a, err := ParseAuthorization(v); err == nil && a.Realm == realm {
			return true
		}
	}
	return false
}

// Authorize puts into req the credentials for every realm the Client keeps
// a challenge for, one Authorization or Proxy-Authorization header field
// per realm, replacing any that req had; with no challenge kept, req is
// left alone. The credentials are computed from req's method, Request-URI
// and body, so Authorize comes after these are set.
//
// The ACK for a 2xx carries the INVITE's credentials as they are (RFC 3261
// §13.2.2.4): copy them instead of calling Authorize.
func (c *Client) Authorize(req *message.Message) error {
	c.mu.Lock()
	realms := make([]clientRealm, 0, len(c.realms))
	for i := range c.realms {
		r := &c.realms[i]
		if r.nc == math.MaxUint32 {
			c.mu.Unlock()
			return fmt.Errorf("digest: realm %s: nonce count exhausted", quote(r.ch.Realm))
		}
		r.nc++
		realms = append(realms, *r)
	}
	c.mu.Unlock()
	if len(realms) == 0 {
		return nil
	}
	r := Request{Method: string(req.Method()), URI: string(req.RequestURI()), Body: req.Body()}
	values := make([][]byte, len(realms))
	for i := range realms {
		v, err := realms[i].ch.AppendAuthorize(nil, c.cred, r, realms[i].nc, rand.Text())
		if err != nil {
			return fmt.Errorf("%w (realm %s)", err, quote(realms[i].ch.Realm))
		}
		values[i] = v
	}
	req.DelHeader("Authorization")
	req.DelHeader("Proxy-Authorization")
	for i := range realms {
		name := "Authorization"
		if realms[i].proxy {
			name = "Proxy-Authorization"
		}
		req.AddHeaderBytes(name, values[i])
	}
	return nil
}

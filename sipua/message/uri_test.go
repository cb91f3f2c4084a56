package message

import "testing"

func TestParseURI(t *testing.T) {
	tests := []struct {
		in                       string
		scheme, user, pass, host string
		port                     int
		params, headers, opaque  string
		wantErr                  bool
	}{
		{in: "sip:door@192.0.2.10", scheme: "sip", user: "door", host: "192.0.2.10"},
		{in: "sips:door@pbx.example.org:5061;transport=tls", scheme: "sips", user: "door", host: "pbx.example.org", port: 5061, params: ";transport=tls"},
		{in: "SIP:pbx.example.org", scheme: "SIP", host: "pbx.example.org"},
		{in: "sip:alice:secret@[2001:db8::1]:5070;lr", scheme: "sip", user: "alice", pass: "secret", host: "[2001:db8::1]", port: 5070, params: ";lr"},
		{in: "sip:bob@example.com?subject=hi&priority=urgent", scheme: "sip", user: "bob", host: "example.com", headers: "subject=hi&priority=urgent"},
		{in: "sip:%61lice@example.com", scheme: "sip", user: "%61lice", host: "example.com"},
		{in: "sip:+4930123@gw.example.net;user=phone", scheme: "sip", user: "+4930123", host: "gw.example.net", params: ";user=phone"},
		{in: "tel:+1-201-555-0123;phone-context=example.com", scheme: "tel", user: "+1-201-555-0123", params: ";phone-context=example.com"},
		{in: "http://www.example.com/a?b=c", scheme: "http", opaque: "//www.example.com/a?b=c"},
		{in: "urn:service:sos", scheme: "urn", opaque: "service:sos"},
		{in: "sip:", wantErr: true},
		{in: "sip:@example.com", wantErr: true},
		{in: "sip:a@b@c", wantErr: true},
		{in: "sip:user@host:99999", wantErr: true},
		{in: "sip:user@host:", wantErr: true},
		{in: "sip:user@host:0", wantErr: true},
		{in: "sip:user@host;", wantErr: true},
		{in: "sip:user@host;a=", wantErr: true},
		{in: "sip:us er@host", wantErr: true},
		{in: "sip:user@ho st", wantErr: true},
		{in: "sip:user@[::1", wantErr: true},
		{in: "sip:user@[zz::1]", wantErr: true},
		{in: "sip:user%4@host", wantErr: true},
		{in: "sip:host?x", wantErr: true},
		{in: "sip:host?", wantErr: true},
		{in: "sip:host?a=b&", wantErr: true},
		{in: "<sip:host>", wantErr: true},
		{in: "1sip:host", wantErr: true},
		{in: ":host", wantErr: true},
		{in: "tel:", wantErr: true},
		{in: "tel:+49 30", wantErr: true},
		{in: "foo:", wantErr: true},
		{in: "foo:a b", wantErr: true},
	}
	for _, tt := range tests {
		u, err := ParseURI([]byte(tt.in))
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseURI(%q) = %+v, want an error", tt.in, u)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseURI(%q): %v", tt.in, err)
			continue
		}
		if string(u.Scheme) != tt.scheme || string(u.User) != tt.user || string(u.Password) != tt.pass ||
			string(u.Host) != tt.host || u.Port != tt.port || string(u.Params) != tt.params ||
			string(u.Headers) != tt.headers || string(u.Opaque) != tt.opaque {
			t.Errorf("ParseURI(%q) = scheme %q user %q pass %q host %q port %d params %q headers %q opaque %q",
				tt.in, u.Scheme, u.User, u.Password, u.Host, u.Port, u.Params, u.Headers, u.Opaque)
		}
		if got := u.String(); got != tt.in {
			t.Errorf("ParseURI(%q).String() = %q", tt.in, got)
		}
	}
}

func TestURIParams(t *testing.T) {
	u, err := ParseURI([]byte("sip:pbx.example.org;lr;transport=TCP;maddr=192.0.2.1;n%61me=v%61lue"))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := u.Params.Get("TRANSPORT"); !ok || string(v) != "TCP" {
		t.Errorf("transport = %q, %v", v, ok)
	}
	if v, ok := u.Params.Get("lr"); !ok || len(v) != 0 {
		t.Errorf("lr = %q, %v; want present without value", v, ok)
	}
	if u.Params.Has("ttl") {
		t.Error("ttl found in a URI without it")
	}
	var names []string
	for n := range u.Params.All() {
		names = append(names, string(n))
	}
	if len(names) != 4 || names[3] != "n%61me" {
		t.Errorf("params %q", names)
	}
}

module intercom/bench/aec

go 1.26.8

require intercom v0.0.0

replace intercom => ../..

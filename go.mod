module intercom

go 1.26.8

module kfwd.local/lab/images

go 1.24

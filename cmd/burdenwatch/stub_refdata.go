package main

// This file is a placeholder until the refdata command is built; replace it with refdata.go.

func refdataCommand() command { return notYet("refdata", "校验并导入参考数据（观测点、配额、基数、计划清单等 CSV）") }

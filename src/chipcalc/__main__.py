from chipcalc.cli.root import main

main()

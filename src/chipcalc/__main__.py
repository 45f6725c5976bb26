from chipcalc.cli import main

main()

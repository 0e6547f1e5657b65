from civicwatt.cli import main

main()

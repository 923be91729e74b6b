"""Fixed tables of the demo world: the words the spelling tasks use and the capitals it knows."""

from __future__ import annotations

# Short common words (3-7 letters, no palindromes): spelling, counting, sorting, formatting.
WORDS = sorted(set("""
apple banana cherry grape lemon mango melon peach pear plum berry orange
river mountain forest desert ocean island valley meadow garden bridge castle tower
table chair window door carpet pillow blanket lamp mirror clock candle basket
tiger lion zebra horse rabbit monkey turtle dolphin eagle parrot spider camel
pencil paper book letter ticket stamp button pocket wallet jacket glove scarf
winter summer spring autumn morning evening sunset thunder rainbow cloud storm breeze
happy quiet brave gentle clever simple bright silver golden purple yellow green
planet rocket comet galaxy moon star engine wheel ladder hammer bucket shovel
coffee butter bread cookie sugar honey pepper salad noodle pizza cheese tomato
""".split()))

CAPITALS = {
    "France": "Paris", "Germany": "Berlin", "Spain": "Madrid", "Italy": "Rome", "Portugal": "Lisbon",
    "Austria": "Vienna", "Poland": "Warsaw", "Greece": "Athens", "Norway": "Oslo", "Sweden": "Stockholm",
    "Finland": "Helsinki", "Denmark": "Copenhagen", "Ireland": "Dublin", "Belgium": "Brussels",
    "Netherlands": "Amsterdam", "Hungary": "Budapest", "Czechia": "Prague", "Russia": "Moscow",
    "Ukraine": "Kyiv", "Turkey": "Ankara", "Egypt": "Cairo", "Kenya": "Nairobi", "Nigeria": "Abuja",
    "Morocco": "Rabat", "Ghana": "Accra", "Japan": "Tokyo", "China": "Beijing", "India": "New Delhi",
    "Thailand": "Bangkok", "Vietnam": "Hanoi", "Indonesia": "Jakarta", "South Korea": "Seoul",
    "Iran": "Tehran", "Iraq": "Baghdad", "Canada": "Ottawa", "Mexico": "Mexico City", "Cuba": "Havana",
    "Peru": "Lima", "Chile": "Santiago", "Argentina": "Buenos Aires", "Colombia": "Bogota",
    "Australia": "Canberra", "New Zealand": "Wellington", "Brazil": "Brasilia", "Venezuela": "Caracas",
}

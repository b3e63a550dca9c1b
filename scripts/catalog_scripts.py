"""The spoken scripts of the sample catalog: four topics, four shows each, plus the special cases.

Kept apart from the generator so the tests can compare transcripts with what was spoken.
"""

TOPICS = {
    "astronomy": [
        ("Star Gazers Weekly", "Tonight we look at the planet Jupiter and its moons",
         "Welcome back to the show. Tonight we look at the planet Jupiter and its four large moons. "
         "If you point a small telescope at the night sky, you can see the moons move from one night to "
         "the next. Galileo saw the same thing four hundred years ago. The giant planet has a great red "
         "spot, a storm larger than the Earth that has lasted for centuries. Find a dark place, let your "
         "eyes adjust, and look toward the east after sunset."),
        ("Orbit and Beyond", "Life on board the space station",
         "Today we talk about astronauts on the space station. The station circles the planet every ninety "
         "minutes, and the crew sees sixteen sunrises each day. Astronauts float in zero gravity, so they "
         "exercise two hours a day to keep their bones strong. From the window they watch the Earth, the "
         "moon and the stars without any clouds in the way. Next year a new crew will launch on a rocket "
         "to visit the moon and study its craters."),
        ("The Telescope Hour", "Black holes and the light of distant galaxies",
         "In this episode we explore black holes and distant galaxies. A black hole is a place where "
         "gravity is so strong that not even light can escape. Astronomers find them by watching stars "
         "orbit something they cannot see. The light from distant galaxies left them billions of years "
         "ago, so a telescope is also a time machine. New space telescopes measure that ancient light "
         "and tell us how the universe grew."),
        ("Night Sky Notes", "Meteor showers, comets and the planets this month",
         "This month the night sky offers a meteor shower and two bright planets. Meteors are small "
         "grains of dust from a comet that burn up in the atmosphere. Look up after midnight, away from "
         "city lights, and you may count fifty shooting stars an hour. Venus shines in the west after "
         "sunset, and Mars rises late with its red color. Bring a warm blanket and let your eyes adapt "
         "to the dark."),
    ],
    "cooking": [
        ("Kitchen Table Talk", "The secret to a perfect loaf of bread",
         "Welcome to the kitchen. Today we bake a simple loaf of bread. You need flour, water, salt and "
         "yeast. Mix them, knead the dough for ten minutes, and let it rise in a warm place until it "
         "doubles. Shape the loaf, let it rise again, then bake it in a hot oven for forty minutes. "
         "The crust should be deep brown and the bottom should sound hollow when you tap it. Let the "
         "bread cool before you slice it."),
        ("Home Cooking Made Easy", "A quick tomato pasta sauce for busy nights",
         "Tonight we cook a quick tomato sauce for pasta. Warm olive oil in a pan, add chopped garlic "
         "and onion, and cook them until they are soft. Add a can of tomatoes, a pinch of salt and a "
         "little sugar, then let the sauce simmer for twenty minutes. Boil the pasta in salted water "
         "and save a cup of the cooking water. Toss the pasta with the sauce, add fresh basil and "
         "grated cheese, and dinner is ready."),
        ("The Spice Rack", "Roasting vegetables and seasoning with spices",
         "In this episode we roast vegetables and season them with spices. Cut carrots, potatoes and "
         "onions into even pieces so they cook at the same speed. Toss them with olive oil, salt, "
         "pepper, cumin and a little paprika. Spread them on a baking tray and roast them in a hot oven "
         "until the edges turn golden. A squeeze of lemon at the end brightens the flavor. Serve the "
         "vegetables with rice or fresh bread."),
        ("Sweet Oven", "Baking chocolate chip cookies with butter and sugar",
         "Today we bake chocolate chip cookies. Beat soft butter with brown sugar until the mixture is "
         "light, then add an egg and a spoon of vanilla. Stir in flour, baking soda and a pinch of salt, "
         "then fold in the chocolate chips. Chill the dough for an hour so the cookies keep their shape. "
         "Bake small balls of dough in the oven for ten minutes, until the edges are golden and the "
         "centers are still soft."),
    ],
    "finance": [
        ("Money Matters Daily", "How to build a simple monthly budget",
         "Welcome to the show about money. Today we build a simple monthly budget. Write down your "
         "income after taxes, then list your fixed costs like rent, insurance and loan payments. Set "
         "aside money for savings before you spend on anything else. Track what you spend on food and "
         "fun for one month, and you will see where your money goes. A budget is not a punishment, it "
         "is a plan for your money."),
        ("The Investing Desk", "Index funds, stocks and long term investing",
         "In this episode we talk about investing for the long term. An index fund buys a small piece "
         "of every company in a market, so your money is spread across many stocks. Fees matter, "
         "because a high fee takes a share of your returns every year. Investors who buy regularly and "
         "hold through bad markets usually do better than those who try to guess the next move. Start "
         "early and let interest compound."),
        ("Debt Free Living", "Paying off credit card debt and saving interest",
         "Today we pay off credit card debt. Credit cards charge high interest, so a balance grows fast "
         "if you only make the minimum payment. List your debts from the highest interest rate to the "
         "lowest and pay extra on the first one while you pay the minimum on the rest. Call your bank "
         "and ask for a lower rate. Once a card is paid off, move that payment to the next debt and "
         "keep going."),
        ("Retirement Ready", "Saving for retirement with a pension and savings account",
         "This week we plan for retirement. The earlier you save, the more time your savings have to "
         "grow with interest. If your employer matches your pension contributions, take the full match, "
         "because it is free money. Keep an emergency fund in a savings account for three to six months "
         "of expenses. Review your investments once a year and lower the risk as you get closer to the "
         "day you stop working."),
    ],
    "sports": [
        ("Full Court Press", "The playoffs, the final seconds and a game winning shot",
         "Welcome back to the show. Last night the basketball playoffs gave us a classic game. The home "
         "team trailed by two points with five seconds left on the clock. The point guard dribbled past "
         "two defenders and hit a three point shot at the buzzer. The crowd went wild. The coach said the "
         "players never stopped believing, and now the series moves to game seven on Sunday night."),
        ("The Locker Room", "How a football team builds its defense for the season",
         "Today we talk about football and how a team builds its defense. The coach studies the other "
         "team's quarterback and designs a game plan to pressure him. Linebackers must read the play "
         "quickly, and the cornerbacks cover the fast receivers. A strong defense wins championships, "
         "the old saying goes. This season the team allowed fewer touchdowns than any other team in the "
         "league."),
        ("Race Day Radio", "The city marathon: a new champion and a course record",
         "In this episode we talk about the big marathon race and its athletes. The defending champion "
         "led the race for twenty miles, but a young runner from the national team passed him near the "
         "stadium. The coach said the team trained at altitude all season. Fans lined the streets and "
         "cheered every athlete to the finish line. The winner broke the course record and took home the "
         "gold medal and the trophy."),
        ("Match Point", "The tennis final, a long rally and a new champion",
         "This week we relive the tennis final. The young player served well and won the first set, "
         "but the champion fought back with powerful forehands from the baseline. The match lasted four "
         "hours, and one rally had more than forty shots. In the end the new player won the tournament "
         "and lifted the trophy while the stadium cheered for both athletes."),
    ],
}

SPANISH = (
    "Bienvenidos a nuestro programa. Hoy hablamos de la cocina tradicional de España. La paella se "
    "prepara con arroz, azafrán, pollo y verduras en una sartén grande. Es importante no remover el "
    "arroz mientras se cocina, para que se forme una capa dorada en el fondo. Muchas familias comen "
    "paella los domingos, al mediodía, con amigos y vecinos."
)
SPANISH_2 = (
    "Hola a todos y bienvenidos. En este episodio hablamos del fútbol y de los equipos de la liga. "
    "El partido del sábado fue muy emocionante, con tres goles en la segunda parte. Los aficionados "
    "cantaron durante todo el partido y celebraron la victoria en las calles de la ciudad hasta muy "
    "tarde por la noche."
)

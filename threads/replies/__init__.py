"""One door for agents' replies: the channel apps (mail, slackapp, …) register how they carry a
public reply to the customer and say how far it got; threads only speak to them through here."""

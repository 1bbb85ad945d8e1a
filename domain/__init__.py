"""The domain: aggregates, events and rules of cooperation agreements, in folders by capability."""

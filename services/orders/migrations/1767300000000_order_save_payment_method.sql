-- Up Migration
-- Whom to save the payment method for once the charge succeeds: the cart owner's subject when the
-- shopper asked to save it; null otherwise (and always for a shopper without a subject). Kept on the
-- order so a charge resumed by recovery asks for the same thing.
alter table orders add column save_payment_method_for text;

-- Down Migration
alter table orders drop column save_payment_method_for;
